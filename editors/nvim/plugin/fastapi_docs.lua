-- fastapi-docs-lsp commands for Neovim 0.7.2+: :FastapiDocs, :FastapiReference, :FastapiHover,
-- a window/showDocument handler, and the client command `fastapi.showReferences` (CodeLens
-- "N tests" -> quickfix list). The server itself is started by
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
fastapi_docs.register_client_commands()

-- CodeLens refresh for clients of this server however they were started (0.8+: LspAttach);
-- setup() does it itself through on_attach. `vim.g.fastapi_docs_codelens = false` turns it off.
if vim.fn.has('nvim-0.8') == 1 then
  vim.api.nvim_create_autocmd('LspAttach', {
    group = vim.api.nvim_create_augroup('fastapi_docs_plugin', { clear = true }),
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if vim.g.fastapi_docs_codelens ~= false and not fastapi_docs._setup_done and fastapi_docs.is_fastapi_client(client) then
        fastapi_docs.enable_codelens(args.buf, client)
      end
    end,
  })
end
