;;; fastapi-docs-eglot.el --- fastapi-docs-lsp with Eglot  -*- lexical-binding: t; -*-

;; Eglot runs ONE server per major mode and project. Pick one of the two setups below.

;; (a) fastapi-docs-lsp beside your Python server, through the `rass' multiplexer
;;     (pipx install rassumfrassum): Eglot talks to rass, rass to both servers. rass sends
;;     hover and workspace symbols to its primary server (the first after "--") only: swap the
;;     two commands to get FastAPI hovers and "?" docs search instead of basedpyright's hovers.
(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '((python-mode python-ts-mode)
                 . ("rass" "--" "basedpyright-langserver" "--stdio" "--" "fastapi-docs-lsp"))))

;; (b) fastapi-docs-lsp alone (replaces pyright/pylsp for Python buffers):
;; (with-eval-after-load 'eglot
;;   (add-to-list 'eglot-server-programs
;;                '((python-mode python-ts-mode)
;;                  . ("fastapi-docs-lsp"
;;                     :initializationOptions (:fastapi (:openReferencesIn "browser"))))))

;; Settings, answered to the server's workspace/configuration request (section "fastapi").
;; docsLanguage: "auto" or en, de, es, fr, hi, ja, ko, pt, ru, tr, uk, zh, zh-hant.
;; codeLens: Eglot shows no CodeLenses, so the route lenses are turned off.
(setq-default eglot-workspace-configuration
              '(:fastapi (:openReferencesIn "browser" :docsLanguage "auto" :codeLens :json-false)))

;; M-x eglot (or eglot-ensure in python-mode-hook) starts it.
(add-hook 'python-mode-hook #'eglot-ensure)

;; Docs search: workspace symbols starting with "?" search the FastAPI docs,
;; e.g. M-x xref-find-apropos RET ?oauth scopes RET
(defun fastapi-docs-search (query)
  "Search the FastAPI docs for QUERY with fastapi-docs-lsp and open the page picked."
  (interactive "sFastAPI docs: ")
  (let* ((server (or (eglot-current-server) (user-error "No Eglot server in this buffer")))
         (items (append (jsonrpc-request server :workspace/executeCommand
                                         `(:command "fastapi.searchDocs"
                                           :arguments [(:query ,query :limit 20)]))
                        nil))
         (choices (mapcar (lambda (item)
                            (cons (format "%s  —  %s" (plist-get item :title)
                                          (plist-get item :breadcrumb))
                                  (plist-get item :url)))
                          items)))
    (if (null choices)
        (message "No FastAPI docs match %S" query)
      (browse-url (cdr (assoc (completing-read "Page: " choices nil t) choices))))))

(provide 'fastapi-docs-eglot)
;;; fastapi-docs-eglot.el ends here
