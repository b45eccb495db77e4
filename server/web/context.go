package web

import (
	"context"
	"net/http"

	"kuzet.kz/kuzet/server/store"
)

func contextWith(r *http.Request, acct store.Account) context.Context {
	return context.WithValue(r.Context(), ctxKey{}, acct)
}
