# Source this file to put the project's pinned Bun and Deno (installed by scripts/setup into
# .tools/) first on PATH:   . scripts/env.sh
# Works from any directory; changes nothing but PATH.
_proxx_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
case ":$PATH:" in
  *":$_proxx_root/.tools/node_modules/.bin:"*) ;;
  *) PATH="$_proxx_root/.tools/node_modules/.bin:$PATH" ;;
esac
export PATH
unset _proxx_root
