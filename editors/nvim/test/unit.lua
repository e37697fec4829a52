-- Unit checks of lua/fastapi_docs (no server needed). Run:
--   PLUGIN=editors/nvim OUT=/tmp/unit.json nvim --headless --clean -u NONE -c 'luafile unit.lua'
local out_path = assert(os.getenv('OUT'), 'OUT not set')
vim.opt.runtimepath:prepend(assert(os.getenv('PLUGIN'), 'PLUGIN not set'))

local R = { passed = 0, failures = {} }
local function check(name, fn)
  local ok, err = pcall(fn)
  if ok then
    R.passed = R.passed + 1
  else
    table.insert(R.failures, name .. ': ' .. tostring(err))
  end
end
local function eq(a, b, what)
  assert(vim.deep_equal(a, b), (what or '') .. ' expected ' .. vim.inspect(b) .. ', got ' .. vim.inspect(a))
end

local M = require('fastapi_docs')
local warnings = {}
vim.notify = function(msg, level)
  if (level or 0) >= vim.log.levels.WARN then
    table.insert(warnings, msg)
  end
end

check('setup replaces list options instead of merging them by index', function()
  M.setup({ cmd = { 'my-server' }, autostart = false })
  eq(M.config.cmd, { 'my-server' })
  M.setup({ cmd = 'other-server', filetypes = { 'python', 'pyrex' }, autostart = false })
  eq(M.config.cmd, { 'other-server' })
  eq(M.config.filetypes, { 'python', 'pyrex' })
end)

check('setup deep-merges settings and keeps defaults', function()
  M.setup({ settings = { fastapi = { openReferencesIn = 'editor' } }, autostart = false })
  eq(M.config.settings, { fastapi = { openReferencesIn = 'editor' } })
  eq(M.config.cmd, { 'fastapi-docs-lsp' })
  eq(M.config.search_limit, 20)
  local cfg = M.client_config('/tmp')
  eq(cfg.init_options, M.config.settings, 'init_options default to settings')
  eq(cfg.capabilities.window.showDocument, { support = true })
  eq(cfg.name, 'fastapi_docs')
end)

check('setup creates the user commands', function()
  assert(vim.fn.exists(':FastapiDocs') == 2)
  assert(vim.fn.exists(':FastapiReference') == 2)
  assert(vim.fn.exists(':FastapiHover') == 2)
end)

check('format_item shows title and breadcrumb', function()
  eq(M.format_item({ title = 'OAuth2 scopes', breadcrumb = 'Advanced > Security' }), 'OAuth2 scopes  —  Advanced > Security')
  eq(M.format_item({ title = 'Security', breadcrumb = { 'Tutorial', 'Security intro' } }), 'Security  —  Tutorial > Security intro')
  eq(M.format_item({ title = 'Same', breadcrumb = 'Same' }), 'Same')
  eq(M.format_item({ title = 'No crumb', breadcrumb = vim.NIL }), 'No crumb')
  eq(M.format_item({ url = 'https://example.invalid/x' }), 'https://example.invalid/x')
end)

local tmp = vim.fn.tempname()
vim.fn.mkdir(tmp .. '/proj/pkg/sub', 'p')
vim.fn.writefile({ '[project]' }, tmp .. '/proj/pyproject.toml')
vim.fn.writefile({ 'x = 1' }, tmp .. '/proj/pkg/sub/mod.py')
vim.fn.mkdir(tmp .. '/loose', 'p')
vim.fn.writefile({ 'y = 2' }, tmp .. '/loose/script.py')

check('find_root walks up to the nearest marker', function()
  eq(M.find_root(tmp .. '/proj/pkg/sub/mod.py'), vim.fn.resolve(tmp .. '/proj'))
end)

check('find_root falls back to the file directory', function()
  eq(M.find_root(tmp .. '/loose/script.py', { 'no-such-marker.toml' }), vim.fn.resolve(tmp .. '/loose'))
end)

check('open_mode follows open_in, then the client settings', function()
  M.setup({ autostart = false })
  eq(M.open_mode(nil), 'browser')
  eq(M.open_mode({ config = { settings = { fastapi = { openReferencesIn = 'editor' } } } }), 'editor')
  M.setup({ autostart = false, open_in = 'browser' })
  eq(M.open_mode({ config = { settings = { fastapi = { openReferencesIn = 'editor' } } } }), 'browser')
end)

check('is_fastapi_client recognises names and the searchDocs command', function()
  assert(M.is_fastapi_client({ name = 'fastapi_docs' }))
  assert(M.is_fastapi_client({ name = 'fastapi-docs-lsp' }))
  assert(M.is_fastapi_client({
    name = 'rass',
    server_capabilities = { executeCommandProvider = { commands = { 'x', 'fastapi.searchDocs' } } },
  }))
  assert(not M.is_fastapi_client({ name = 'pyright', server_capabilities = {} }))
  assert(not M.is_fastapi_client(nil))
end)

check('showDocument with an external URL uses open_url', function()
  local opened = {}
  M.setup({ autostart = false, open_url = function(url)
    table.insert(opened, url)
  end })
  local res = M.show_document(nil, { uri = 'https://fastapi.tiangolo.com/tutorial/', external = true }, { client_id = 0 })
  eq(res, { success = true })
  -- a non-file URI is never opened as a buffer, even without `external`
  M.show_document(nil, { uri = 'https://fastapi.tiangolo.com/advanced/' }, { client_id = 0 })
  eq(opened, { 'https://fastapi.tiangolo.com/tutorial/', 'https://fastapi.tiangolo.com/advanced/' })
end)

check('showDocument with a local file opens it at the selection', function()
  local doc = tmp .. '/doc.md'
  vim.fn.writefile({ '# Title', '', 'one', 'two', 'three', 'four' }, doc)
  local res = M.show_document(nil, {
    uri = vim.uri_from_fname(doc),
    selection = { start = { line = 4, character = 2 }, ['end'] = { line = 4, character = 2 } },
  }, { client_id = 0 })
  eq(res, { success = true })
  eq(vim.fn.resolve(vim.api.nvim_buf_get_name(0)), vim.fn.resolve(doc))
  eq(vim.api.nvim_win_get_cursor(0), { 5, 2 })
end)

check('showDocument without a uri is an invalid-params error', function()
  local res, err = M.show_document(nil, {}, { client_id = 0 })
  assert(res == nil and err and err.code == -32602, vim.inspect({ res, err }))
end)

check('the global showDocument handler counts requests and answers for unknown clients', function()
  M.install_show_document_handler()
  local before = M._show_seq
  local opened = {}
  M.config.open_url = function(url)
    table.insert(opened, url)
  end
  local handler = vim.lsp.handlers['window/showDocument']
  assert(type(handler) == 'function')
  if vim.fn.has('nvim-0.8') == 0 then
    -- Neovim 0.7 has no handler of its own: this one answers for every client
    eq(handler(nil, { uri = 'https://fastapi.tiangolo.com/', external = true }, { client_id = 12345 }), { success = true })
    eq(opened, { 'https://fastapi.tiangolo.com/' })
  end
  M.install_show_document_handler() -- idempotent: no double wrapping
  eq(vim.lsp.handlers['window/showDocument'], handler)
  if vim.fn.has('nvim-0.8') == 0 then
    eq(M._show_seq, before + 1)
  end
end)

check('start ignores buffers that are not files and warns about a missing server', function()
  M.setup({ autostart = false, cmd = { 'no-such-fastapi-docs-lsp-binary' } })
  local scratch = vim.api.nvim_create_buf(false, true)
  eq(M.start(scratch), nil)
  vim.cmd('edit ' .. vim.fn.fnameescape(tmp .. '/loose/script.py'))
  warnings = {}
  eq(M.start(0), nil)
  assert(#warnings == 1 and warnings[1]:find('not executable'), vim.inspect(warnings))
end)

check('commands warn instead of failing when no server runs', function()
  M.setup({ autostart = false, cmd = { 'no-such-fastapi-docs-lsp-binary' } })
  warnings = {}
  vim.cmd('FastapiReference')
  vim.cmd('FastapiHover')
  vim.cmd('FastapiDocs oauth')
  eq(#warnings, 3, 'warnings')
end)

check('the client command fastapi.showReferences is advertised and registered', function()
  M.setup({ autostart = false })
  local caps = M.client_config('/tmp').capabilities
  eq(caps.experimental.commands.commands, { 'fastapi.showReferences' })
  eq(vim.lsp.commands['fastapi.showReferences'], M.show_references)
  eq(M.extra_capabilities().experimental.commands.commands, { 'fastapi.showReferences' })
end)

check('fastapi.showReferences puts the locations in the quickfix list', function()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  local a, b = dir .. '/test_a.py', dir .. '/test_b.py'
  vim.fn.writefile({ 'def test_one(client):', '    client.get("/items/1")' }, a)
  vim.fn.writefile({ '', '', 'def test_two(client):', '    client.get("/items/2")' }, b)
  local function loc(path, line)
    return { uri = vim.uri_from_fname(path), range = { start = { line = line, character = 4 }, ['end'] = { line = line, character = 10 } } }
  end
  local command = {
    title = '2 tests',
    command = 'fastapi.showReferences',
    arguments = { vim.uri_from_fname(dir .. '/main.py'), { line = 3, character = 0 }, { loc(a, 1), loc(b, 3), { uri = 'bad' } } },
  }
  M.show_references(command, {})
  local qf = vim.fn.getqflist({ title = 1, items = 1 })
  eq(qf.title, '2 tests')
  eq(#qf.items, 2, 'malformed locations are dropped')
  eq(vim.fn.fnamemodify(vim.fn.bufname(qf.items[1].bufnr), ':p'), vim.fn.fnamemodify(a, ':p'))
  eq({ qf.items[1].lnum, qf.items[1].col }, { 2, 5 })
  eq({ qf.items[2].lnum, qf.items[2].col }, { 4, 5 })
  vim.cmd('cclose')
  warnings = {}
  M.show_references({ arguments = { 'file:///x.py', { line = 0, character = 0 }, {} } }, {})
  eq(#warnings, 1, 'no locations: one warning')
end)

local f = assert(io.open(out_path, 'w'))
f:write(vim.fn.json_encode(R))
f:close()
vim.cmd('qa!')
