package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/order/price"
	"github.com/storeops/storeops/internal/shopper"
)

// Headers of the storefront and of idempotent calls.
const (
	HeaderCartToken      = "X-Cart-Token"
	HeaderIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
)

// commerceDefaults builds the commerce services the caller left nil, over
// the API's database, so a test or a tool that wires only the basics still
// serves every route.
func (a *API) commerceDefaults() {
	if a.Orders == nil {
		a.Orders = &order.Service{DB: a.DB, Inventory: a.Inventory}
	}
	if a.Carts == nil {
		a.Carts = &cart.Service{DB: a.DB, Pricer: a.Orders.Pricer}
		if a.Carts.Pricer == nil {
			a.Carts.Pricer = price.ListPricer{DB: a.DB}
		}
	}
	if a.Shoppers == nil {
		a.Shoppers = &shopper.Service{DB: a.DB, Customers: a.Customers}
	}
	if a.Keys == nil {
		a.Keys = &order.Keys{DB: a.DB}
	}
}

// serveStore serves a storefront or public route: a customer token instead
// of an operator's, and no permission matrix.
func (a *API) serveStore(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &request{}
		actor := audit.Actor{Kind: "customer", Name: "guest", IP: clientIP(r)}
		if rt.Public {
			actor = audit.Actor{Kind: "system", Name: "payment callback", IP: clientIP(r)}
		} else {
			if h := r.Header.Get("Authorization"); h != "" {
				secret, ok := strings.CutPrefix(h, "Bearer ")
				id, err := a.Shoppers.Authenticate(r.Context(), strings.TrimSpace(secret))
				if !ok || errors.Is(err, shopper.ErrInvalidSession) {
					w.Header().Set("WWW-Authenticate", `Bearer realm="storefront"`)
					writeError(w, r, a.Log, errUnauthorized("the storefront token is unknown or expired; sign in again (POST "+Prefix+"/store/sessions)"))
					return
				}
				if err != nil {
					writeError(w, r, a.Log, err)
					return
				}
				req.customerID = id
				actor = audit.Actor{Kind: "customer", ID: id, Name: "customer " + strconv.FormatInt(id, 10), IP: clientIP(r)}
			} else if !rt.Guest {
				w.Header().Set("WWW-Authenticate", `Bearer realm="storefront"`)
				writeError(w, r, a.Log, errUnauthorized("sign in first (POST "+Prefix+"/store/sessions) and send 'Authorization: Bearer cs_…'"))
				return
			}
			req.cartToken = strings.TrimSpace(r.Header.Get(HeaderCartToken))
		}
		ctx := audit.WithActor(r.Context(), actor)
		r = r.WithContext(ctx)
		if rt.Idempotent {
			a.runIdempotent(w, r, rt, req, "customer:"+itoa64(req.customerID))
			return
		}
		req.Request = r
		out, err := rt.handle(ctx, req)
		respond(w, r, a, rt, out, err)
	})
}

// respond writes a handler's result the way serve does.
func respond(w http.ResponseWriter, r *http.Request, a *API, rt Route, out any, err error) {
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	writeJSON(w, status, out)
}

// runIdempotent runs a route under its Idempotency-Key, if the caller sent
// one. The key's scope is the caller and the route, so two customers'
// keys never meet; the key is bound to the request's path and body.
func (a *API) runIdempotent(w http.ResponseWriter, r *http.Request, rt Route, req *request, principal string) {
	ctx := r.Context()
	key := r.Header.Get(HeaderIdempotencyKey)
	if key == "" {
		req.Request = r
		out, err := rt.handle(ctx, req)
		respond(w, r, a, rt, out, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, r, a.Log, decodeError(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	scope := principal + " " + rt.Method + " " + rt.Path
	if rt.replay != nil {
		if err := order.CheckKey(key); err != nil {
			writeError(w, r, a.Log, err)
			return
		}
		a.runClaimed(w, r, rt, req, scope, key, order.RequestHash(r.Method, r.URL.Path, body))
		return
	}
	stored, err := a.Keys.Begin(ctx, scope, key, order.RequestHash(r.Method, r.URL.Path, body))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if stored != nil {
		w.Header().Set(headerReplayed, "true")
		writeStored(w, stored.Status, stored.Body)
		return
	}
	rec := &recorder{header: http.Header{}}
	req.Request = r
	out, herr := rt.handle(ctx, req)
	respond(rec, r, a, rt, out, herr)
	// The answer is kept even if the caller hung up: that is when a retry
	// comes.
	keep := context.WithoutCancel(ctx)
	if rec.status >= 500 {
		if err := a.Keys.Abandon(keep, scope, key); err != nil {
			a.Log.Error("release idempotency key", "err", err)
		}
	} else if err := a.Keys.Finish(keep, scope, key, rec.status, rec.body.Bytes()); err != nil {
		a.Log.Error("keep idempotent response", "err", err)
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	writeStored(w, rec.status, rec.body.Bytes())
}

// runClaimed is runIdempotent for a route whose operation takes the key in
// its own transaction: the operation runs straight away, and its key
// commits with it (order.Claim). A call that finds its key used does not
// get that far — the key's insert conflicts, or the operation is refused
// because its twin already made the change (the order is paid) — and only
// then is the key read, to replay the first answer. So the common call
// costs no read of the key and one commit, and its response is kept after
// the answer without making the caller wait for that write.
func (a *API) runClaimed(w http.ResponseWriter, r *http.Request, rt Route, req *request, scope, key, hash string) {
	ctx := r.Context()
	rec := &recorder{header: http.Header{}}
	req.Request = r
	out, herr := rt.handle(order.WithClaim(ctx, order.Claim{Scope: scope, Key: key, Hash: hash}), req)
	// A refusal reads the key only if a call with it may have succeeded
	// before (order.Keys.MightHold: nearly every key is new).
	if herr != nil && a.Keys.MightHold(ctx, scope, key) {
		stored, err := a.Keys.Lookup(ctx, scope, key, hash)
		if err != nil {
			writeError(w, r, a.Log, err) // used with another request, or still running
			return
		}
		if stored != nil {
			w.Header().Set(headerReplayed, "true")
			if !stored.Committed() {
				writeStored(w, stored.Status, stored.Body)
				return
			}
			out, err := rt.replay(ctx, req, stored.Ref)
			respond(w, r, a, rt, out, err)
			return
		}
	}
	respond(rec, r, a, rt, out, herr)
	keep := context.WithoutCancel(ctx)
	switch {
	case rec.status < 300:
		// The key committed with the operation; its response follows in
		// the next group commit. A retry before that is answered from the
		// key's ref.
		go func() {
			if err := a.Keys.Keep(keep, scope, key, hash, rec.status, rec.body.Bytes()); err != nil {
				a.Log.Error("keep idempotent response", "err", err)
			}
		}()
	case rec.status < 500 && rec.status != http.StatusConflict:
		// A refusal wrote nothing; the key keeps the answer so that a retry
		// gets it again. Not a conflict (sold out, the order changed): that
		// depends on the moment, and a retry asks again.
		if err := a.Keys.Remember(keep, scope, key, hash, rec.status, rec.body.Bytes()); err != nil {
			a.Log.Error("keep idempotent response", "err", err)
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	writeStored(w, rec.status, rec.body.Bytes())
}

func writeStored(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// recorder keeps a response so that it can be stored before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// headerParams are the request headers a route reads, for the OpenAPI
// document.
func headerParams(rt Route) []Param {
	var out []Param
	if rt.Idempotent {
		out = append(out, Param{HeaderIdempotencyKey, "string", "makes a retry safe: the same key and body replay the first response; the same key with another body is refused (422)"})
	}
	if rt.Store && rt.Guest {
		out = append(out, Param{HeaderCartToken, "string", "a guest's cart token (from the first add to cart)"})
	}
	if rt.Public {
		out = append(out, Param{"X-Sandbox-Timestamp", "string", "unix time in seconds the callback was signed at (at most 5 minutes ago)"},
			Param{"X-Sandbox-Signature", "string", "hex HMAC-SHA256 of \"<timestamp>.<body>\" under the store's sandbox secret"})
	}
	return out
}
