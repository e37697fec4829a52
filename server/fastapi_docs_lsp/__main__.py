import os
import sys

# ``python -m fastapi_docs_lsp`` puts the current directory first on sys.path, and editors start
# language servers in the workspace folder: a workspace file named ``ast.py`` or ``json.py``
# would be imported instead of the standard library, running the project's code. Drop it.
if sys.path and not getattr(sys.flags, "safe_path", False) and os.path.abspath(sys.path[0] or os.curdir) == os.getcwd():
    del sys.path[0]

from .cli import main  # noqa: E402

raise SystemExit(main())
