-- fastapi-docs-lsp commands for Neovim 0.7.2+: :FastapiDocs, :FastapiReference, :FastapiHover,
-- and a window/showDocument handler. The server itself is started by
-- require('fastapi_docs').setup() or by your own vim.lsp.config / lspconfig / vim.lsp.start.
if vim.g.loaded_fastapi_docs then
  return
end
vim.g.loaded_fastapi_docs = true

if vim.fn.has('nvim-0.7') == 0 then
  vim.api.nvim_err_writeln('fastapi_docs: Neovim 0.7 or newer is required')
  return
end

local fastapi_docs = require('fastapi_docs')
fastapi_docs.create_commands()
fastapi_docs.install_show_document_handler()
