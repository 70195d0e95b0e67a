" policyc: *.policy files are the filetype "policy".
autocmd BufRead,BufNewFile *.policy setfiletype policy
