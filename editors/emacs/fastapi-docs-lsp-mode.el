;;; fastapi-docs-lsp-mode.el --- fastapi-docs-lsp with lsp-mode  -*- lexical-binding: t; -*-

;; lsp-mode runs add-on servers beside the main one (lsp-pyright, lsp-pylsp...):
;; `:add-on? t' makes fastapi-docs-lsp start in Python buffers in addition to it.
(with-eval-after-load 'lsp-mode
  ;; docsLanguage: "auto" or en, de, es, fr, hi, ja, ko, pt, ru, tr, uk, zh, zh-hant;
  ;; codeLens: route lenses (shown with lsp-lens-mode)
  (lsp-register-custom-settings
   '(("fastapi.openReferencesIn" "browser")
     ("fastapi.docsLanguage" "auto")
     ("fastapi.codeLens" t t)))

  (lsp-register-client
   (make-lsp-client
    :new-connection (lsp-stdio-connection '("fastapi-docs-lsp"))
    :activation-fn (lsp-activate-on "python")
    :server-id 'fastapi-docs-lsp
    :add-on? t
    :priority -2
    :initialization-options (lambda () (lsp-configuration-section "fastapi"))
    :initialized-fn (lambda (workspace)
                      (with-lsp-workspace workspace
                        (lsp--set-configuration (lsp-configuration-section "fastapi")))))))

;; Docs search: M-x lsp-ivy-workspace-symbol / consult-lsp-symbols with a query starting
;; with "?", or this command:
(defun fastapi-docs-search (query)
  "Search the FastAPI docs for QUERY with fastapi-docs-lsp and open the page picked."
  (interactive "sFastAPI docs: ")
  (let* ((workspace (or (lsp-find-workspace 'fastapi-docs-lsp nil)
                        (user-error "fastapi-docs-lsp is not running in this project")))
         (items (append (with-lsp-workspace workspace
                          (lsp-request "workspace/executeCommand"
                                       (list :command "fastapi.searchDocs"
                                             :arguments (vector (list :query query :limit 20)))))
                        nil))
         (choices (mapcar (lambda (item)
                            (cons (format "%s  —  %s" (lsp-get item :title)
                                          (lsp-get item :breadcrumb))
                                  (lsp-get item :url)))
                          items)))
    (if (null choices)
        (message "No FastAPI docs match %S" query)
      (browse-url (cdr (assoc (completing-read "Page: " choices nil t) choices))))))

(provide 'fastapi-docs-lsp-mode)
;;; fastapi-docs-lsp-mode.el ends here
