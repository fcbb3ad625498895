// Package api is the JSON API v1 under /api/v1: bearer tokens with scopes,
// keyset pagination, JSON errors naming the field at fault, and an OpenAPI 3
// document generated from the same route table that serves requests, so the
// two cannot drift apart.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/cart"
	"github.com/storeops/storeops/internal/catalog"
	"github.com/storeops/storeops/internal/customer"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/flash"
	"github.com/storeops/storeops/internal/groupbuy"
	"github.com/storeops/storeops/internal/inventory"
	"github.com/storeops/storeops/internal/order"
	"github.com/storeops/storeops/internal/presale"
	"github.com/storeops/storeops/internal/promotion"
	"github.com/storeops/storeops/internal/shopper"
	"github.com/storeops/storeops/internal/tier"
	"github.com/storeops/storeops/internal/webhook"
)

// API serves /api/v1.
type API struct {
	DB        *db.DB
	Auth      *auth.Service
	Catalog   *catalog.Service
	Customers *customer.Service
	Inventory *inventory.Service
	Log       *slog.Logger
	Version   string
	// RefreshWait: how long a dashboard read waits for the rollup refresh
	// it starts (app.Options.RefreshWait).
	RefreshWait time.Duration
	// Webhooks keeps the outbound webhooks; nil: one over DB.
	Webhooks *webhook.Service

	// The commerce core; nil ones are built over DB by Handler.
	Orders   *order.Service
	Carts    *cart.Service
	Shoppers *shopper.Service
	Keys     *order.Keys

	// Promotions keeps the promotions; nil: one over DB.
	Promotions *promotion.Service
	// Flash runs flash sales (秒杀); nil: one over DB.
	Flash *flash.Service
	// GroupBuys runs group buys (拼团); nil: one over DB and Orders.
	GroupBuys *groupbuy.Service
	// Tiers keeps the member tiers (会员等级); nil: one over DB.
	Tiers *tier.Service
	// Presales runs presales (预售); nil: one over DB and Orders.
	Presales *presale.Service
}

// Route is one endpoint: what it needs, what it takes and returns (for the
// OpenAPI document), and the handler.
type Route struct {
	Method  string
	Path    string // ServeMux pattern below /api/v1, e.g. "/products/{id}"
	Perm    auth.Permission
	Tag     string
	Summary string
	Query   []Param // query parameters
	Body    any     // zero value of the request body type, nil for none
	Status  int     // success status (200 unless set)
	Reply   any     // zero value of the response type, nil for 204
	Example any     // a request body shown in the OpenAPI document; nil for none
	// Store routes belong to the storefront: the caller is a customer
	// with a storefront token (Authorization: Bearer cs_…), not an
	// operator, and Perm is unused. Guest store routes also serve callers
	// without one (a guest cart goes by X-Cart-Token).
	Store, Guest bool
	// Public routes take no credentials: the handler verifies the request
	// itself (a signed payment callback).
	Public bool
	// Idempotent routes honour an Idempotency-Key header: a retry with the
	// same key and body gets the first response again, byte for byte.
	Idempotent bool
	handle     func(ctx context.Context, r *request) (any, error)
	// replay, on an idempotent route whose operation takes its key inside
	// its own transaction (order.Claim), shows what the operation made
	// (ref) when a retry finds the key committed but its response not yet
	// kept.
	replay func(ctx context.Context, r *request, ref int64) (any, error)
}

// Param is a documented query parameter.
type Param struct {
	Name, Type, Description string
}

// request is what a handler gets: the HTTP request and who is calling.
type request struct {
	*http.Request
	op    auth.Operator
	token auth.Token
	// On store routes: the signed-in customer (0 for a guest) and the
	// guest's cart token.
	customerID int64
	cartToken  string
}

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Handler serves every route of the API and the OpenAPI document.
func (a *API) Handler() http.Handler {
	a.commerceDefaults()
	mux := http.NewServeMux()
	for _, rt := range a.Routes() {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, a.serve(rt))
	}
	mux.HandleFunc("GET "+Prefix+"/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.OpenAPI())
	})
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, ErrorBody{Error: ErrorDetail{Code: "not_found",
			Message: "no such endpoint: " + r.Method + " " + r.URL.Path + "; see " + Prefix + "/openapi.json"}})
	})
	return mux
}

func (a *API) serve(rt Route) http.Handler {
	if rt.Store || rt.Public {
		return a.serveStore(rt)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, tok, err := a.authenticate(r)
		if err != nil {
			if errors.Is(err, errNoToken) || errors.Is(err, auth.ErrInvalidToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="storeops"`)
			}
			writeError(w, r, a.Log, err)
			return
		}
		if rt.Perm != anyOperator && !tok.Allows(op.Role, rt.Perm) {
			writeError(w, r, a.Log, errForbidden("this token (role "+string(op.Role)+") lacks the permission "+string(rt.Perm)))
			return
		}
		ctx := audit.WithActor(r.Context(), audit.Actor{Kind: "token", ID: op.ID, Name: op.Username + " (token " + tok.Prefix + ")", IP: clientIP(r)})
		if rt.Idempotent {
			a.runIdempotent(w, r.WithContext(ctx), rt, &request{op: op, token: tok}, "operator:"+itoa64(op.ID))
			return
		}
		out, err := rt.handle(ctx, &request{Request: r.WithContext(ctx), op: op, token: tok})
		if err != nil {
			writeError(w, r, a.Log, err)
			return
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		if out == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, status, out)
	})
}

var errNoToken = errors.New("no token")

func (a *API) authenticate(r *http.Request) (auth.Operator, auth.Token, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return auth.Operator{}, auth.Token{}, &httpError{http.StatusUnauthorized, ErrorDetail{Code: "unauthorized",
			Message: "send an API token as 'Authorization: Bearer so_…' (create one in the console under API tokens, or with 'storeops token create')"}}
	}
	op, tok, err := a.Auth.AuthenticateToken(r.Context(), strings.TrimSpace(secret))
	if err != nil {
		if errors.Is(err, auth.ErrInvalidToken) {
			return op, tok, errUnauthorized("the API token is unknown, revoked or expired")
		}
		return op, tok, err
	}
	return op, tok, nil
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
