-- fastapi-docs-lsp: FastAPI's documentation where you type (hover, completion, docs search,
-- diagnostics, route CodeLenses), beside your usual Python server.
--
-- Neovim 0.11+ reads this file from any `lsp/` folder on 'runtimepath' (nvim-lspconfig's
-- convention), so with editors/nvim on the runtimepath:
--   vim.lsp.enable('fastapi_docs_lsp')                -- e.g. vim.lsp.enable({ 'basedpyright', 'fastapi_docs_lsp' })
--   vim.lsp.config('fastapi_docs_lsp', { settings = { fastapi = { docsLanguage = 'es' } } })  -- optional overrides
--
-- Install the server: `pipx install .` in a checkout of fastapi-docs-lsp (or, once published,
-- `pipx install fastapi-docs-lsp`, or `:MasonInstall fastapi-docs-lsp` with editors/mason).
-- Settings: https://github.com/fastapi-docs-lsp/fastapi-docs-lsp#settings
-- The server never runs an interpreter the workspace provides: it reads `.venv`/`venv` in the
-- root statically; set `pythonPath` in your own config (not a project file) to choose another.

---@type vim.lsp.Config
return {
  cmd = { 'fastapi-docs-lsp' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'Pipfile', '.git' },
  settings = {
    fastapi = {
      -- docsLanguage = 'auto', -- or 'de', 'es', 'fr', 'hi', 'ja', 'ko', 'pt', 'ru', 'tr', 'uk', 'zh', 'zh-hant'
      -- codeLens = true,
      -- openReferencesIn = 'browser', -- or 'editor'
    },
  },
  capabilities = {
    -- the "N tests" CodeLens runs `fastapi.showReferences` in the client (quickfix list,
    -- registered by this folder's plugin/fastapi_docs.lua); without it the server opens the
    -- first location itself
    experimental = { commands = { commands = { 'fastapi.showReferences' } } },
  },
}
