-- fastapi-docs-lsp on Neovim 0.11+ with the ready-made config in editors/nvim/lsp/fastapi_docs_lsp.lua
-- (Neovim reads lsp/<name>.lua from the runtimepath, as nvim-lspconfig's configs are read).
vim.opt.runtimepath:append(vim.fn.expand('~/src/fastapi-docs-lsp/editors/nvim'))
vim.lsp.enable('fastapi_docs_lsp') -- e.g. vim.lsp.enable({ 'basedpyright', 'fastapi_docs_lsp' })

-- Optional overrides, merged over the file's config:
vim.lsp.config('fastapi_docs_lsp', {
  settings = { fastapi = { openReferencesIn = 'browser', docsLanguage = 'auto', codeLens = true } },
})
