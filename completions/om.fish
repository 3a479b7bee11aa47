complete --keep-order --exclusive --command om --arguments "(COMPLETE=fish om -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
