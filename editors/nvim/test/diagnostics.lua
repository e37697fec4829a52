-- Headless check: Python files opened BEFORE the server is ready each get their diagnostics
-- without an edit (Neovim 0.11+ pulls only for the visible buffer and does not support
-- workspace/diagnostic/refresh, so the server must push, or answer every pull).
--
--   FILES=a.py:b.py:c.py OUT=/tmp/diag.json nvim --headless --clean -u <config> -c 'luafile diagnostics.lua'
local out_path = assert(os.getenv('OUT'), 'OUT not set')
local files = vim.split(assert(os.getenv('FILES'), 'FILES not set'), ':', { plain = true })
local ready_timeout = tonumber(os.getenv('E2E_READY_TIMEOUT_MS') or '') or 60000
local R = { files = {}, errors = {} }

local function save()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(R))
  f:close()
end

local ok, err = pcall(function()
  -- open all three at once, as a restored session does: the server is not even started yet
  local bufs = {}
  for _, file in ipairs(files) do
    vim.cmd('edit ' .. vim.fn.fnameescape(file))
    table.insert(bufs, vim.api.nvim_get_current_buf())
  end
  R.initialized_before_open = false
  for _, c in ipairs(vim.lsp.get_clients()) do
    R.initialized_before_open = R.initialized_before_open or c.initialized == true
  end
  local function ours(bufnr)
    local found = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.source == 'fastapi' or (type(d.code) == 'string' and d.code:match('^FA%d+')) then
        table.insert(found, { code = d.code, lnum = d.lnum, message = d.message })
      end
    end
    return found
  end
  vim.wait(ready_timeout, function()
    for _, b in ipairs(bufs) do
      if #ours(b) == 0 then
        return false
      end
    end
    return true
  end, 50)
  for i, b in ipairs(bufs) do
    R.files[i] = { name = vim.api.nvim_buf_get_name(b), diagnostics = ours(b), attached = #vim.lsp.get_clients({ bufnr = b }) }
  end
end)
if not ok then
  table.insert(R.errors, tostring(err))
end
R.done = true
save()
for _, c in ipairs(vim.lsp.get_clients()) do
  c:stop()
end
vim.wait(3000, function()
  return #vim.lsp.get_clients() == 0
end, 20)
vim.cmd('qa!')
