-- fastapi_docs: Neovim helpers for the fastapi-docs-lsp language server.
--
--   require('fastapi_docs').setup({ cmd = { 'fastapi-docs-lsp' }, settings = { fastapi = {} } })
--
-- setup() starts the server for Python buffers, beside any other Python server (pyright,
-- basedpyright, jedi, ruff...). The commands work with any client of this server, however it
-- was started (setup(), vim.lsp.config/vim.lsp.enable, nvim-lspconfig, vim.lsp.start):
--   :FastapiDocs [query]   search the FastAPI docs, pick a page in vim.ui.select, open it
--   :FastapiReference      open the FastAPI docs of the symbol under the cursor
--   :FastapiHover          hover from this server only (useful beside other servers)
-- and the client command `fastapi.showReferences` of the "N tests" CodeLens (the locations go to
-- the quickfix list), advertised to the server in capabilities.experimental.commands.
-- Supported: Neovim 0.7.2 and newer.
local M = {}

local uv = vim.uv or vim.loop

local SEARCH_COMMAND = 'fastapi.searchDocs'
local REFERENCE_COMMAND = 'fastapi.openReference'
-- client-side commands this plugin implements (the CodeLens agreement with the server)
local SHOW_REFERENCES = 'fastapi.showReferences'
M.client_commands = { SHOW_REFERENCES }
-- names a client of this server may have in the documented configurations
local KNOWN_NAMES = {
  fastapi_docs = true,
  ['fastapi-docs-lsp'] = true,
  fastapi_docs_lsp = true,
  ['fastapi-docs'] = true,
}

local defaults = {
  -- client name (also the name used by the README's vim.lsp.config example)
  name = 'fastapi_docs',
  -- command that starts the server on stdio
  cmd = { 'fastapi-docs-lsp' },
  -- extra environment for the server process
  cmd_env = nil,
  filetypes = { 'python' },
  -- the first directory upwards holding one of these is the workspace root;
  -- without one, the file's own directory is used
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'Pipfile', '.git' },
  -- server settings, sent as initializationOptions and answered to workspace/configuration
  -- (section "fastapi"); see the server's settings reference
  settings = { fastapi = {} },
  -- defaults to `settings`
  init_options = nil,
  -- merged over vim.lsp.protocol.make_client_capabilities() (e.g. from cmp-nvim-lsp)
  capabilities = nil,
  on_attach = nil,
  -- start the server automatically on the FileType event of `filetypes`
  autostart = true,
  -- function(url) that opens a URL; default: vim.ui.open (0.10+), else xdg-open / open
  open_url = nil,
  -- where a picked search result opens: 'browser' (its URL) or 'editor' (the local docs
  -- file, when the server knows one); nil follows settings.fastapi.openReferencesIn
  open_in = nil,
  -- how many results :FastapiDocs asks for
  search_limit = 20,
  -- refresh the server's CodeLenses ("→ GET /items/{id}", "N tests") on BufEnter, InsertLeave
  -- and after writes; the server setting fastapi.codeLens = false turns them off entirely
  codelens = true,
}

-- keys whose values are lists: a user value replaces the default instead of merging by index
local LIST_KEYS = { cmd = true, filetypes = true, root_markers = true }

M.config = vim.deepcopy(defaults)
M._setup_done = false
-- incremented for every window/showDocument request (see install_show_document_handler)
M._show_seq = 0

local function has(feature)
  return vim.fn.has(feature) == 1
end

local function notify(msg, level)
  vim.notify('fastapi-docs: ' .. msg, level or vim.log.levels.INFO)
end

local function is_nil(v)
  return v == nil or v == vim.NIL
end

local function merge_config(opts)
  local cfg = vim.deepcopy(defaults)
  for k, v in pairs(opts or {}) do
    if type(v) == 'table' and type(cfg[k]) == 'table' and not LIST_KEYS[k] then
      cfg[k] = vim.tbl_deep_extend('force', cfg[k], v)
    else
      cfg[k] = v
    end
  end
  if type(cfg.cmd) == 'string' then
    cfg.cmd = { cfg.cmd }
  end
  return cfg
end

---------------------------------------------------------------------------------------------
-- clients
---------------------------------------------------------------------------------------------

local function all_clients()
  if vim.lsp.get_clients then -- 0.10+
    return vim.lsp.get_clients()
  end
  return vim.lsp.get_active_clients()
end

--- Whether `client` is a fastapi-docs-lsp client: by name, or by the commands it offers.
function M.is_fastapi_client(client)
  if not client then
    return false
  end
  if client.name == M.config.name or KNOWN_NAMES[client.name] then
    return true
  end
  local caps = client.server_capabilities or {}
  local provider = caps.executeCommandProvider
  if type(provider) == 'table' and type(provider.commands) == 'table' then
    for _, c in ipairs(provider.commands) do
      if c == SEARCH_COMMAND then
        return true
      end
    end
  end
  return false
end

local function is_stopped(client)
  if has('nvim-0.11') then
    return client:is_stopped()
  end
  return client.is_stopped()
end

--- The fastapi-docs-lsp client for `bufnr`: one attached to the buffer, else any running one
--- (`attached_only` = true: only one attached to the buffer).
function M.get_client(bufnr, attached_only)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local fallback
  for _, client in ipairs(all_clients()) do
    if M.is_fastapi_client(client) and not is_stopped(client) then
      if vim.lsp.buf_is_attached(bufnr, client.id) then
        return client
      end
      fallback = fallback or client
    end
  end
  if attached_only then
    return nil
  end
  return fallback
end

local function request(client, method, params, handler, bufnr)
  if has('nvim-0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function execute(client, command, arguments, bufnr, callback)
  local ok = request(client, 'workspace/executeCommand', { command = command, arguments = arguments }, function(err, result)
    vim.schedule(function()
      callback(err, result)
    end)
  end, bufnr)
  if not ok then
    notify('could not send ' .. command .. ' (is the server running?)', vim.log.levels.ERROR)
  end
end

---------------------------------------------------------------------------------------------
-- starting the server
---------------------------------------------------------------------------------------------

--- The workspace root for `path`: the nearest directory upwards with a root marker.
function M.find_root(path, markers)
  markers = markers or M.config.root_markers
  local dir = vim.fn.fnamemodify(path, ':p')
  if vim.fn.isdirectory(dir) == 0 then
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  dir = dir:gsub('[/\\]$', '')
  local start = dir
  while dir and dir ~= '' do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  return start ~= '' and start or nil
end

--- The client capabilities this plugin adds: window/showDocument (Neovim < 0.8 has no handler;
--- the plugin installs one) and the client commands in experimental.commands.commands
--- (rust-analyzer's convention). Merge them into a config that does not use setup().
function M.extra_capabilities()
  return {
    window = { showDocument = { support = true } },
    experimental = { commands = { commands = vim.deepcopy(M.client_commands) } },
  }
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps = vim.tbl_deep_extend('force', caps, M.config.capabilities or {})
  return vim.tbl_deep_extend('force', caps, M.extra_capabilities())
end

--- The client configuration setup() uses for a file under `root_dir`.
function M.client_config(root_dir)
  local cfg = M.config
  return {
    name = cfg.name,
    cmd = cfg.cmd,
    cmd_env = cfg.cmd_env,
    root_dir = root_dir,
    settings = cfg.settings,
    init_options = cfg.init_options or cfg.settings,
    capabilities = capabilities(),
    on_attach = function(client, bufnr)
      if cfg.codelens then
        M.enable_codelens(bufnr, client)
      end
      if cfg.on_attach then
        cfg.on_attach(client, bufnr)
      end
    end,
  }
end

---------------------------------------------------------------------------------------------
-- CodeLens
---------------------------------------------------------------------------------------------

--- `fastapi.showReferences(uri, position, locations)`: the "N tests" lens. The locations go to
--- the quickfix list, which opens (a single location is jumped to directly).
function M.show_references(command, ctx)
  local args = (command and command.arguments) or {}
  local locations = type(args[3]) == 'table' and args[3] or {}
  local client = ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id)
  local encoding = (client and client.offset_encoding) or 'utf-16'
  local valid = {}
  for _, loc in ipairs(locations) do
    if type(loc) == 'table' and type(loc.uri) == 'string' and type(loc.range) == 'table' then
      table.insert(valid, loc)
    end
  end
  if #valid == 0 then
    notify('no locations to show', vim.log.levels.WARN)
    return
  end
  local items = vim.lsp.util.locations_to_items(valid, encoding)
  local title = (command and command.title) or 'FastAPI references'
  vim.fn.setqflist({}, ' ', { title = title, items = items })
  if #items == 1 then
    vim.cmd('cfirst')
  else
    vim.cmd('botright copen')
  end
  return items
end

--- Register the client commands with Neovim (vim.lsp.commands: CodeLens and code actions
--- whose command is one of them run here instead of being sent to the server).
function M.register_client_commands()
  vim.lsp.commands[SHOW_REFERENCES] = M.show_references
end

--- Refresh the CodeLenses of `bufnr` now and on BufEnter, InsertLeave and BufWritePost.
function M.enable_codelens(bufnr, client)
  if not (vim.lsp.codelens and vim.lsp.codelens.refresh) then
    return
  end
  local caps = client and client.server_capabilities or {}
  if caps.codeLensProvider == nil then
    return
  end
  local group = vim.api.nvim_create_augroup('fastapi_docs_codelens_' .. bufnr, { clear = true })
  local function refresh()
    if vim.api.nvim_buf_is_valid(bufnr) then
      if vim.fn.has('nvim-0.10') == 1 then
        vim.lsp.codelens.refresh({ bufnr = bufnr })
      elseif vim.api.nvim_get_current_buf() == bufnr then
        vim.lsp.codelens.refresh()
      end
    end
  end
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost' }, {
    group = group,
    buffer = bufnr,
    callback = refresh,
  })
  refresh()
end

local function is_real_file(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return false
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  return name ~= '' and not name:match('^%a[%w+.-]*://')
end

--- Start (or reuse) the server for `bufnr` and attach it. Returns the client id.
function M.start(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not is_real_file(bufnr) then
    return nil
  end
  if vim.fn.executable(M.config.cmd[1]) == 0 then
    notify(
      ('%q is not executable; install the server (`pipx install .` in a fastapi-docs-lsp checkout) or set cmd in setup()'):format(
        M.config.cmd[1]
      ),
      vim.log.levels.WARN
    )
    return nil
  end
  local root = M.find_root(vim.api.nvim_buf_get_name(bufnr))
  local config = M.client_config(root)
  if vim.lsp.start then -- 0.8+: reuses a client with the same name and root_dir
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  -- 0.7: vim.lsp.start_client + buf_attach_client, one client per root
  for _, client in ipairs(vim.lsp.get_active_clients()) do
    if client.name == config.name and client.config.root_dir == root and not is_stopped(client) then
      vim.lsp.buf_attach_client(bufnr, client.id)
      return client.id
    end
  end
  local id = vim.lsp.start_client(config)
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

-- A client not attached to any buffer, for :FastapiDocs outside Python files.
local function start_detached()
  if not M._setup_done or vim.fn.executable(M.config.cmd[1]) == 0 then
    return nil
  end
  local config = M.client_config(vim.fn.getcwd())
  local id
  if has('nvim-0.11') then
    id = vim.lsp.start(config, { attach = false })
  else
    id = vim.lsp.start_client(config)
  end
  if not id then
    return nil
  end
  vim.wait(15000, function()
    local c = vim.lsp.get_client_by_id(id)
    return c ~= nil and c.initialized == true
  end, 20)
  return vim.lsp.get_client_by_id(id)
end

--- Configure the plugin and start the server for Python buffers (see `defaults` above).
function M.setup(opts)
  M.config = merge_config(opts)
  M._setup_done = true
  M.install_show_document_handler()
  M.register_client_commands()
  M.create_commands()
  local group = vim.api.nvim_create_augroup('fastapi_docs', { clear = true })
  if M.config.autostart then
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      pattern = M.config.filetypes,
      callback = function(args)
        M.start(args.buf)
      end,
    })
    -- buffers opened before setup() ran
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
        M.start(bufnr)
      end
    end
  end
end

---------------------------------------------------------------------------------------------
-- opening URLs and documents
---------------------------------------------------------------------------------------------

--- Open `url` in the browser. Returns true when an opener was started.
function M.open_url(url)
  if M.config.open_url then
    return M.config.open_url(url) ~= false
  end
  if vim.ui.open then -- 0.10+
    local _, err = vim.ui.open(url)
    if err then
      notify(err .. ': ' .. url, vim.log.levels.ERROR)
      return false
    end
    return true
  end
  local cmd
  if has('mac') then
    cmd = { 'open', url }
  elseif has('win32') then
    cmd = { 'rundll32', 'url.dll,FileProtocolHandler', url }
  elseif vim.fn.executable('xdg-open') == 1 then
    cmd = { 'xdg-open', url }
  elseif vim.fn.executable('wslview') == 1 then
    cmd = { 'wslview', url }
  else
    notify('no URL opener found (xdg-open); set open_url in setup(). URL: ' .. url, vim.log.levels.WARN)
    return false
  end
  local job = vim.fn.jobstart(cmd, { detach = true })
  if job <= 0 then
    notify('could not run ' .. cmd[1] .. ' for ' .. url, vim.log.levels.ERROR)
    return false
  end
  return true
end

--- Open a local document at `range` (LSP Range, optional) in the current window.
function M.open_location(uri, range, client, focus)
  if not vim.startswith(uri, 'file:') then
    return M.open_url(uri)
  end
  local location = {
    uri = uri,
    range = range or { start = { line = 0, character = 0 }, ['end'] = { line = 0, character = 0 } },
  }
  local encoding = (client and client.offset_encoding) or 'utf-16'
  if vim.lsp.util.show_document then -- 0.8+
    return vim.lsp.util.show_document(location, encoding, { focus = focus ~= false, reuse_win = true })
  end
  return vim.lsp.util.jump_to_location(location, encoding)
end

--- window/showDocument handler (what Neovim 0.7 lacks; used for this server's clients on
--- every version so that `open_url` applies).
function M.show_document(_, params, ctx)
  if type(params) ~= 'table' or type(params.uri) ~= 'string' then
    return nil, { code = -32602, message = 'window/showDocument: missing uri' }
  end
  local client = ctx and vim.lsp.get_client_by_id(ctx.client_id)
  local ok
  if params.external or not vim.startswith(params.uri, 'file:') then
    ok = M.open_url(params.uri)
  else
    ok = M.open_location(params.uri, params.selection, client, params.takeFocus ~= false)
  end
  return { success = ok and true or false }
end

--- Route window/showDocument of fastapi-docs-lsp clients to M.show_document; other clients
--- keep Neovim's handler (or get this one where Neovim has none, as in 0.7).
function M.install_show_document_handler()
  if M._handler_installed then
    return
  end
  M._handler_installed = true
  local method = 'window/showDocument'
  local builtin = vim.lsp.handlers[method]
  vim.lsp.handlers[method] = function(err, params, ctx, config)
    M._show_seq = M._show_seq + 1
    local client = ctx and vim.lsp.get_client_by_id(ctx.client_id)
    if builtin == nil or M.is_fastapi_client(client) then
      return M.show_document(err, params, ctx, config)
    end
    return builtin(err, params, ctx, config)
  end
end

---------------------------------------------------------------------------------------------
-- commands
---------------------------------------------------------------------------------------------

--- Where search results open: 'browser' or 'editor'.
function M.open_mode(client)
  if M.config.open_in then
    return M.config.open_in
  end
  -- 0.11+ keeps the live settings in client.settings, older versions in client.config.settings
  local settings = client and (client.settings or (client.config and client.config.settings))
  local fastapi = type(settings) == 'table' and (settings.fastapi or settings) or {}
  if fastapi.openReferencesIn == 'editor' then
    return 'editor'
  end
  return 'browser'
end

--- How a search result reads in vim.ui.select.
function M.format_item(item)
  local title = item.title or item.url or '?'
  local crumb = item.breadcrumb
  if type(crumb) == 'table' then
    crumb = table.concat(crumb, ' > ')
  end
  if type(crumb) == 'string' and crumb ~= '' and crumb ~= title then
    return title .. '  —  ' .. crumb
  end
  return title
end

--- Open one search result (or openReference result).
function M.open_result(item, client)
  if type(item) ~= 'table' then
    return false
  end
  local uri = not is_nil(item.uri) and item.uri or nil
  local url = not is_nil(item.url) and item.url or nil
  if uri and (M.open_mode(client) == 'editor' or not url) then
    return M.open_location(uri, not is_nil(item.range) and item.range or nil, client, true)
  end
  if url then
    return M.open_url(url)
  end
  notify('the result has neither a URL nor a local document', vim.log.levels.WARN)
  return false
end

local function client_or_warn(bufnr, attached_only)
  local client = M.get_client(bufnr, attached_only)
  if client == nil and not attached_only then
    client = start_detached()
  end
  if client == nil then
    notify(
      attached_only and 'fastapi-docs-lsp is not attached to this buffer'
        or 'fastapi-docs-lsp is not running: open a Python file (or call setup())',
      vim.log.levels.WARN
    )
  end
  return client
end

--- Search the docs for `query` and let the user pick a page (vim.ui.select).
--- `on_done(items, choice)` (optional) runs after the pick, for scripting and tests.
function M.search(query, on_done)
  query = vim.trim(query or '')
  if query == '' then
    notify('empty query', vim.log.levels.WARN)
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_or_warn(bufnr, false)
  if not client then
    return
  end
  local args = { { query = query, limit = M.config.search_limit } }
  execute(client, SEARCH_COMMAND, args, bufnr, function(err, result)
    if err then
      notify(SEARCH_COMMAND .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if is_nil(result) or type(result) ~= 'table' or #result == 0 then
      notify('no FastAPI docs match "' .. query .. '"', vim.log.levels.WARN)
      if on_done then
        on_done({}, nil)
      end
      return
    end
    vim.ui.select(result, {
      prompt = 'FastAPI docs: ' .. query,
      kind = 'fastapi_docs',
      format_item = M.format_item,
    }, function(choice)
      if choice then
        M.open_result(choice, client)
      end
      if on_done then
        on_done(result, choice)
      end
    end)
  end)
end

--- :FastapiDocs [query] (asks for the query when none is given)
function M.docs(query)
  query = vim.trim(query or '')
  if query ~= '' then
    return M.search(query)
  end
  vim.ui.input({ prompt = 'FastAPI docs: ' }, function(input)
    if input and vim.trim(input) ~= '' then
      M.search(input)
    end
  end)
end

--- :FastapiReference: open the docs of the FastAPI symbol under the cursor.
--- `on_done(result)` (optional) runs when the server answered.
function M.reference(on_done)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_or_warn(bufnr, true)
  if not client then
    return
  end
  local pos = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local seq = M._show_seq
  local args = { { uri = pos.textDocument.uri, position = pos.position } }
  execute(client, REFERENCE_COMMAND, args, bufnr, function(err, result)
    if err then
      notify(REFERENCE_COMMAND .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif is_nil(result) then
      notify('no FastAPI documentation for the symbol under the cursor', vim.log.levels.WARN)
      result = nil
    else
      local label = (not is_nil(result.title) and result.title or '')
      local url = not is_nil(result.url) and result.url or ''
      vim.api.nvim_echo({ { 'FastAPI docs: ' .. label .. ' ' .. url } }, false, {})
      -- The server normally opens the page itself with window/showDocument, before or just
      -- after this answer; open it here only if it did not.
      vim.defer_fn(function()
        if M._show_seq == seq then
          M.open_result(result, client)
        end
      end, 300)
    end
    if on_done then
      on_done(result)
    end
  end)
end

--- :FastapiHover: the hover of this server alone, in a floating window.
function M.hover()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_or_warn(bufnr, true)
  if not client then
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  request(client, 'textDocument/hover', params, function(err, result)
    vim.schedule(function()
      if err then
        notify('hover failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
        return
      end
      if is_nil(result) or is_nil(result.contents) then
        notify('no FastAPI docs here')
        return
      end
      local lines = vim.lsp.util.convert_input_to_markdown_lines(result.contents)
      while lines[1] and vim.trim(lines[1]) == '' do
        table.remove(lines, 1)
      end
      while lines[#lines] and vim.trim(lines[#lines]) == '' do
        table.remove(lines)
      end
      if #lines == 0 then
        notify('no FastAPI docs here')
        return
      end
      vim.lsp.util.open_floating_preview(lines, 'markdown', { focus_id = 'fastapi_docs_hover' })
    end)
  end, bufnr)
end

function M.create_commands()
  if M._commands_created then
    return
  end
  M._commands_created = true
  vim.api.nvim_create_user_command('FastapiDocs', function(o)
    M.docs(o.args)
  end, { nargs = '*', desc = 'Search the FastAPI docs (fastapi-docs-lsp)' })
  vim.api.nvim_create_user_command('FastapiReference', function()
    M.reference()
  end, { nargs = 0, desc = 'Open the FastAPI docs of the symbol under the cursor' })
  vim.api.nvim_create_user_command('FastapiHover', function()
    M.hover()
  end, { nargs = 0, desc = 'Hover from fastapi-docs-lsp only' })
end

return M
