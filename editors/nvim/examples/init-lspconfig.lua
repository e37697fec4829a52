-- fastapi-docs-lsp with nvim-lspconfig's legacy setup() framework (Neovim 0.8 - 0.10).
-- On Neovim 0.11+ use init-0.11.lua instead: nvim-lspconfig then only supplies the other
-- servers' configs, and vim.lsp.enable({ 'basedpyright', 'fastapi_docs' }) starts both.
local lspconfig = require('lspconfig')
local configs = require('lspconfig.configs')

if not configs.fastapi_docs then
  configs.fastapi_docs = {
    default_config = {
      cmd = { 'fastapi-docs-lsp' },
      filetypes = { 'python' },
      root_dir = lspconfig.util.root_pattern('pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git'),
      single_file_support = true,
      settings = { fastapi = { openReferencesIn = 'browser' } },
    },
  }
end

lspconfig.basedpyright.setup({}) -- your usual Python server, unchanged
lspconfig.fastapi_docs.setup({})

-- Optional: :FastapiDocs, :FastapiReference and :FastapiHover from the bundled plugin.
vim.opt.runtimepath:append(vim.fn.expand('~/src/fastapi-docs-lsp/editors/nvim'))
