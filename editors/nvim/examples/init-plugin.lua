-- fastapi-docs-lsp with the bundled plugin (Neovim 0.7.2+).
-- The plugin lives in editors/nvim of the fastapi-docs-lsp repository; point runtimepath at it
-- (or use your plugin manager's "local directory" spec, e.g. lazy.nvim's `dir = ...`).
vim.opt.runtimepath:append(vim.fn.expand('~/src/fastapi-docs-lsp/editors/nvim'))

require('fastapi_docs').setup({
  cmd = { 'fastapi-docs-lsp' }, -- or { '/path/to/venv/bin/python', '-m', 'fastapi_docs_lsp' }
  settings = {
    fastapi = {
      -- the project's interpreter, whose fastapi/starlette versions are documented
      -- pythonPath = '.venv/bin/python',
      openReferencesIn = 'browser', -- or 'editor' to open the local docs file
    },
  },
})
