-- fastapi-docs-lsp on Neovim 0.11+, beside your Python server (pyright, basedpyright, jedi...).
vim.lsp.config('fastapi_docs', {
  cmd = { 'fastapi-docs-lsp' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' },
  settings = {
    fastapi = {
      openReferencesIn = 'browser',
    },
  },
})
vim.lsp.enable('fastapi_docs') -- e.g. vim.lsp.enable({ 'basedpyright', 'fastapi_docs' })

-- Optional: :FastapiDocs, :FastapiReference and :FastapiHover from the bundled plugin.
vim.opt.runtimepath:append(vim.fn.expand('~/src/fastapi-docs-lsp/editors/nvim'))
