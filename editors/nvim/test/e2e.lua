-- End-to-end probe of fastapi-docs-lsp in a real, headless Neovim.
--
--   FIXTURE=.../fixture/app.py OUT=/tmp/result.json XDG_OPEN_LOG=/tmp/opened.txt \
--     nvim --headless --clean -u <a documented config> -c 'luafile e2e.lua'
--
-- The config is one of editors/nvim/examples/*.lua (as documented); `xdg-open` on PATH is
-- expected to be a stub that appends its argument to $XDG_OPEN_LOG. This script only
-- collects facts into $OUT (JSON); tests/editors/test_nvim.py judges them.
local out_path = assert(os.getenv('OUT'), 'OUT not set')
local fixture = assert(os.getenv('FIXTURE'), 'FIXTURE not set')
local open_log = os.getenv('XDG_OPEN_LOG')
-- per request; starting and loading the docs get `ready_timeout`
local timeout = tonumber(os.getenv('E2E_TIMEOUT_MS') or '') or 15000
local ready_timeout = tonumber(os.getenv('E2E_READY_TIMEOUT_MS') or '') or 60000

local R = { errors = {}, notifications = {} }

local function encode(v)
  if vim.json and vim.json.encode then
    return vim.json.encode(v)
  end
  return vim.fn.json_encode(v)
end

local function save()
  local f = assert(io.open(out_path, 'w'))
  f:write(encode(R))
  f:close()
end

local function now_ms()
  return (vim.uv or vim.loop).hrtime() / 1e6
end

local function read_lines(path)
  local lines = {}
  local f = path and io.open(path, 'r')
  if f then
    for line in f:lines() do
      table.insert(lines, line)
    end
    f:close()
  end
  return lines
end

-- record every notification (deprecation warnings included) and still show it
local orig_notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(R.notifications, { msg = tostring(msg), level = level or vim.log.levels.INFO })
  return orig_notify(msg, level, opts)
end

local function clients_of(bufnr)
  local list = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }) or vim.lsp.buf_get_clients(bufnr)
  local out = {}
  for _, c in pairs(list) do
    table.insert(out, c)
  end
  return out
end

local function markdown_of(contents)
  local lines = vim.lsp.util.convert_input_to_markdown_lines(contents)
  return table.concat(lines, '\n')
end

local function find(bufnr, pattern)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(pattern)
    if col then
      return i - 1, col - 1
    end
  end
  error('pattern not in fixture: ' .. pattern)
end

local function step(name, fn)
  local t0 = now_ms()
  local ok, err = pcall(fn)
  R[name .. '_ms'] = math.floor(now_ms() - t0)
  if not ok then
    table.insert(R.errors, name .. ': ' .. tostring(err))
  end
  save()
end

local function main()
  R.nvim_version = tostring(vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch)
  R.commands = {
    FastapiDocs = vim.fn.exists(':FastapiDocs') == 2,
    FastapiReference = vim.fn.exists(':FastapiReference') == 2,
    FastapiHover = vim.fn.exists(':FastapiHover') == 2,
  }

  vim.cmd('edit ' .. vim.fn.fnameescape(fixture))
  local bufnr = vim.api.nvim_get_current_buf()
  R.filetype = vim.bo[bufnr].filetype

  local client
  step('start', function()
    local ok = vim.wait(ready_timeout, function()
      for _, c in ipairs(clients_of(bufnr)) do
        if c.initialized then
          client = c
          return true
        end
      end
      return false
    end, 20)
    assert(ok, 'no initialized LSP client attached to the fixture within ' .. ready_timeout .. ' ms')
    R.client_name = client.name
    R.root_dir = client.config.root_dir
    R.server_commands = ((client.server_capabilities or {}).executeCommandProvider or {}).commands
    local experimental = ((client.capabilities or client.config.capabilities or {}).experimental or {})
    R.client_commands = (experimental.commands or {}).commands or {}
    R.capabilities = {}
    for _, cap in ipairs({ 'hoverProvider', 'completionProvider', 'workspaceSymbolProvider' }) do
      R.capabilities[cap] = (client.server_capabilities or {})[cap] ~= nil
    end
  end)
  if not client then
    return
  end

  -- The very first hover after attach, sent at once (the cache is empty): it must carry the
  -- docs, not a placeholder (the server waits for its docs before answering).
  step('first_hover', function()
    local line, col = find(bufnr, 'Depends%(oauth2_scheme%)')
    local res = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      position = { line = line, character = col + 2 },
    }, timeout)
    assert(res, 'first hover timed out')
    for _, r in pairs(res) do
      if r.err then
        error('first hover error: ' .. vim.inspect(r.err))
      end
      if r.result and r.result.contents then
        R.first_hover = markdown_of(r.result.contents)
      end
    end
  end)

  -- As a user would, give the server the moment it needs to load the API and the docs
  -- (fastapi.serverInfo reports what is loaded).
  step('ready', function()
    if not vim.tbl_contains(R.server_commands or {}, 'fastapi.serverInfo') then
      return
    end
    local info
    local deadline = now_ms() + ready_timeout
    repeat
      local r = vim.lsp.buf_request_sync(bufnr, 'workspace/executeCommand', { command = 'fastapi.serverInfo', arguments = {} }, timeout)
      for _, x in pairs(r or {}) do
        if type(x.result) == 'table' then
          info = x.result
        end
      end
      local ready = info ~= nil and (info.apiObjects or 0) > 0 and type(info.docsSources) == 'table' and #info.docsSources > 0
      if not ready then
        vim.wait(250)
      end
    until ready or now_ms() > deadline
    R.server_info = info and {
      apiObjects = info.apiObjects,
      fastapiVersion = info.fastapiVersion,
      docsSources = info.docsSources,
      problems = info.problems,
    } or nil
  end)

  local uri = vim.uri_from_bufnr(bufnr)

  step('hover', function()
    local line, col = find(bufnr, 'Depends%(oauth2_scheme%)')
    local res = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', {
      textDocument = { uri = uri },
      position = { line = line, character = col + 2 },
    }, timeout)
    assert(res, 'hover timed out')
    for _, r in pairs(res) do
      if r.err then
        error('hover error: ' .. vim.inspect(r.err))
      end
      if r.result and r.result.contents then
        R.hover = markdown_of(r.result.contents)
      end
    end
  end)

  step('completion', function()
    if not R.capabilities.completionProvider then
      error('the server does not offer completion')
    end
    -- type a new line `    code = status.` inside read_item (a real didChange)
    local line = find(bufnr, '    return {"item"')
    vim.api.nvim_buf_set_lines(bufnr, line, line, false, { '    code = status.' })
    local text = vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1]
    local res = vim.lsp.buf_request_sync(bufnr, 'textDocument/completion', {
      textDocument = { uri = uri },
      position = { line = line, character = #text },
      context = { triggerKind = 2, triggerCharacter = '.' },
    }, timeout)
    assert(res, 'completion timed out')
    R.completion = {}
    for _, r in pairs(res) do
      if r.err then
        error('completion error: ' .. vim.inspect(r.err))
      end
      local items = r.result and (r.result.items or r.result) or {}
      for _, item in ipairs(items) do
        table.insert(R.completion, item.label)
      end
    end
    vim.api.nvim_buf_set_lines(bufnr, line, line + 1, false, {})
  end)

  -- :FastapiDocs with vim.ui.select stubbed: capture the items, pick the OAuth2 scopes page
  local function run_docs(cmd, want, key)
    local captured
    local orig_select = vim.ui.select
    vim.ui.select = function(items, opts, on_choice)
      captured = { items = {}, prompt = opts.prompt }
      local pick
      for _, item in ipairs(items) do
        table.insert(captured.items, {
          label = opts.format_item and opts.format_item(item) or tostring(item),
          url = item.url,
          uri = item.uri,
          title = item.title,
          breadcrumb = item.breadcrumb,
        })
        if not pick and want(item) then
          pick = item
        end
      end
      captured.picked = pick and (pick.url or pick.uri) or nil
      on_choice(pick)
    end
    local before = #read_lines(open_log)
    local notes = #R.notifications
    vim.cmd(cmd)
    local ok = vim.wait(timeout, function()
      return captured ~= nil or #R.notifications > notes
    end, 20)
    vim.ui.select = orig_select
    assert(ok and captured, cmd .. ': vim.ui.select was not called: ' .. vim.inspect({ unpack(R.notifications, notes + 1) }))
    if captured.picked then
      vim.wait(5000, function()
        return #read_lines(open_log) > before
      end, 20)
      local opened = read_lines(open_log)
      captured.opened = { unpack(opened, before + 1) }
    end
    R[key] = captured
  end

  step('docs', function()
    run_docs('FastapiDocs oauth scopes', function(item)
      return (item.url or ''):find('oauth2%-scopes') ~= nil
    end, 'docs')
  end)

  step('docs_prompt', function()
    local orig_input = vim.ui.input
    vim.ui.input = function(opts, on_confirm)
      R.docs_prompt_input = opts.prompt
      on_confirm('dependencies with yield')
    end
    run_docs('FastapiDocs', function()
      return false
    end, 'docs_prompt')
    vim.ui.input = orig_input
  end)

  step('reference', function()
    local line, col = find(bufnr, 'Depends%(get_db%)')
    vim.api.nvim_win_set_cursor(0, { line + 1, col + 1 })
    local before = #read_lines(open_log)
    local answered, result = false, nil
    require('fastapi_docs').reference(function(res)
      answered, result = true, res
    end)
    assert(vim.wait(timeout, function()
      return answered
    end, 20), 'fastapi.openReference did not answer')
    vim.wait(5000, function()
      return #read_lines(open_log) > before
    end, 20)
    vim.wait(700) -- a second (duplicate) open would land here
    R.reference = { result = result, opened = { unpack(read_lines(open_log), before + 1) } }
  end)

  step('workspace_symbol', function()
    if not (client.server_capabilities or {}).workspaceSymbolProvider then
      R.workspace_symbol = { skipped = 'the server offers no workspace/symbol' }
      return
    end
    local res = vim.lsp.buf_request_sync(bufnr, 'workspace/symbol', { query = '?oauth scopes' }, timeout)
    R.workspace_symbol = {}
    for _, r in pairs(res or {}) do
      for _, s in ipairs(r.result or {}) do
        table.insert(R.workspace_symbol, {
          name = s.name,
          uri = s.location and s.location.uri or nil,
        })
      end
    end
  end)

  -- openReferencesIn = "editor" with a local docs folder (E2E_REFERENCE_PATH): results that
  -- carry a local uri open in Neovim at their section
  step('editor_open', function()
    local ref_path = os.getenv('E2E_REFERENCE_PATH')
    if not ref_path or ref_path == '' then
      R.editor_open = { skipped = 'E2E_REFERENCE_PATH not set (no local docs folder)' }
      return
    end
    local settings = vim.deepcopy(client.settings or client.config.settings or {})
    settings.fastapi = settings.fastapi or {}
    settings.fastapi.openReferencesIn = 'editor'
    settings.fastapi.referencePaths = { ref_path }
    client.config.settings = settings -- what Neovim < 0.11 answers workspace/configuration from
    if client.settings then -- 0.11+
      client.settings = settings
    end
    if vim.fn.has('nvim-0.11') == 1 then
      client:notify('workspace/didChangeConfiguration', { settings = settings })
    else
      client.notify('workspace/didChangeConfiguration', { settings = settings })
    end
    -- wait until the server has loaded the folder
    local deadline, loaded = now_ms() + ready_timeout, false
    repeat
      local r = vim.lsp.buf_request_sync(bufnr, 'workspace/executeCommand', { command = 'fastapi.serverInfo', arguments = {} }, timeout)
      for _, x in pairs(r or {}) do
        for _, src in ipairs(type(x.result) == 'table' and x.result.docsSources or {}) do
          if type(src.path) == 'string' and vim.startswith(src.path, ref_path) then
            loaded = true
          end
        end
      end
      if not loaded then
        vim.wait(250)
      end
    until loaded or now_ms() > deadline
    assert(loaded, 'the server did not load ' .. ref_path)
    local picked_item
    local orig_select = vim.ui.select
    vim.ui.select = function(items, _, on_choice)
      for _, item in ipairs(items) do
        if item.uri and item.uri ~= vim.NIL then
          picked_item = item
          break
        end
      end
      on_choice(picked_item)
    end
    local done = false
    require('fastapi_docs').search('oauth scopes', function()
      done = true
    end)
    vim.wait(timeout, function()
      return done
    end, 20)
    vim.ui.select = orig_select
    assert(picked_item, 'no search result carried a local uri')
    R.editor_open = {
      uri = picked_item.uri,
      url = picked_item.url,
      range = picked_item.range,
      buffer = vim.api.nvim_buf_get_name(0),
      cursor = vim.api.nvim_win_get_cursor(0),
    }

    -- :FastapiReference now opens the local section too (window/showDocument with a file uri)
    vim.cmd('buffer ' .. bufnr)
    local line, col = find(bufnr, 'Depends%(get_db%)')
    vim.api.nvim_win_set_cursor(0, { line + 1, col + 1 })
    local answered, result = false, nil
    require('fastapi_docs').reference(function(res)
      answered, result = true, res
    end)
    vim.wait(timeout, function()
      return answered
    end, 20)
    vim.wait(1000, function()
      return vim.api.nvim_get_current_buf() ~= bufnr
    end, 20)
    R.editor_reference = {
      result = result,
      buffer = vim.api.nvim_buf_get_name(0),
      cursor = vim.api.nvim_win_get_cursor(0),
    }
    vim.cmd('buffer ' .. bufnr)
  end)

  R.messages = vim.fn.execute('messages')
end

local ok, err = pcall(main)
if not ok then
  table.insert(R.errors, 'main: ' .. tostring(err))
end
R.done = true
save()
for _, c in ipairs(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()) do
  if vim.fn.has('nvim-0.11') == 1 then
    c:stop()
  else
    c.stop()
  end
end
vim.wait(3000, function()
  return #(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()) == 0
end, 20)
vim.cmd('qa!')
