-- policyc: starts `policyc lsp` for a policy buffer with Neovim's built-in
-- LSP client (no plugin needed). One server per project root, the nearest
-- folder above the file holding .git, else the file's folder.
--
-- The command is vim.g.policyc_cmd, a list; default { "policyc", "lsp" }.
-- Works on Neovim 0.7 (vim.lsp.start_client) and 0.8 or later (vim.lsp.start).
vim.bo.commentstring = "# %s"
-- Completion from the server with <C-x><C-o>.
vim.bo.omnifunc = "v:lua.vim.lsp.omnifunc"

local buf = vim.api.nvim_get_current_buf()
local file = vim.api.nvim_buf_get_name(buf)
if file == "" then
  return
end
local dir = vim.fn.fnamemodify(file, ":p:h")
local git = vim.fn.finddir(".git", dir .. ";")
local root = git ~= "" and vim.fn.fnamemodify(git, ":p:h:h") or dir

local config = {
  name = "policyc",
  cmd = vim.g.policyc_cmd or { "policyc", "lsp" },
  root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
}

if vim.lsp.start then
  vim.lsp.start(config)
else
  _G.policyc_clients = _G.policyc_clients or {}
  local id = _G.policyc_clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    _G.policyc_clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(buf, id)
  end
end
