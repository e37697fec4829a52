-- fastapi-docs-lsp on Neovim 0.8 - 0.10, without plugins: vim.lsp.start in a FileType autocmd.
-- It starts one client per project root, beside any other Python server.
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'python',
  callback = function(args)
    local file = vim.api.nvim_buf_get_name(args.buf)
    if file == '' then
      return
    end
    local markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' }
    local found = vim.fs.find(markers, { upward = true, path = vim.fs.dirname(file) })[1]
    vim.lsp.start({
      name = 'fastapi_docs',
      cmd = { 'fastapi-docs-lsp' },
      root_dir = found and vim.fs.dirname(found) or vim.fs.dirname(file),
      settings = { fastapi = { openReferencesIn = 'browser' } },
    }, { bufnr = args.buf })
  end,
})

-- Optional: :FastapiDocs, :FastapiReference and :FastapiHover from the bundled plugin.
vim.opt.runtimepath:append(vim.fn.expand('~/src/fastapi-docs-lsp/editors/nvim'))
