package api

import (
	"context"
	"net/http"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/auth"
	"github.com/storeops/storeops/internal/page"
	"github.com/storeops/storeops/internal/settings"
)

func (a *API) adminRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/audit", Perm: permAuditRead, Tag: "admin", Summary: "The audit log, newest first",
			Query: append([]Param{{"entity", "string", "e.g. product, customer, operator"}, {"entity_id", "string", ""},
				{"actor_id", "integer", "operator id"}, {"action", "string", "e.g. product.update"}}, pageParams...),
			Reply: List[audit.Entry]{}, handle: a.listAudit},
		{Method: "GET", Path: "/operators", Perm: permOperatorsRead, Tag: "admin", Summary: "List operator accounts",
			Reply: List[auth.Operator]{}, handle: a.listOperators},
		{Method: "POST", Path: "/operators", Perm: permOperatorsWrite, Tag: "admin", Summary: "Create an operator account",
			Body: auth.NewOperator{}, Status: http.StatusCreated, Reply: auth.Operator{}, handle: a.createOperator},
		{Method: "PATCH", Path: "/operators/{id}", Perm: permOperatorsWrite, Tag: "admin", Summary: "Change an operator's name, role, language or disabled flag",
			Body: auth.OperatorUpdate{}, Reply: auth.Operator{}, handle: byID(func(ctx context.Context, id int64, in auth.OperatorUpdate) (any, error) {
				return a.Auth.UpdateOperator(ctx, id, in)
			})},
		{Method: "GET", Path: "/tokens", Perm: anyOperator, Tag: "admin", Summary: "List API tokens (your own; an admin sees all)",
			Reply: List[auth.Token]{}, handle: a.listTokens},
		{Method: "POST", Path: "/tokens", Perm: anyOperator, Tag: "admin", Summary: "Create an API token for yourself; the secret is in the reply only",
			Body: TokenInput{}, Status: http.StatusCreated, Reply: NewToken{}, handle: a.createToken},
		{Method: "DELETE", Path: "/tokens/{id}", Perm: anyOperator, Tag: "admin", Summary: "Revoke an API token",
			handle: a.revokeToken},
		{Method: "GET", Path: "/settings", Perm: permSettingsRead, Tag: "admin", Summary: "Store settings",
			Reply: settings.Store{}, handle: a.getSettings},
		{Method: "PUT", Path: "/settings", Perm: permSettingsWrite, Tag: "admin", Summary: "Change store settings",
			Body: settings.Store{}, Reply: settings.Store{}, handle: a.putSettings},
	}
}

func (a *API) listAudit(ctx context.Context, r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	actor, err := r.int64Query("actor_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, err := audit.List(ctx, a.DB, audit.Filter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"),
		ActorID: actor, Action: q.Get("action"), BeforeID: p.After, Limit: p.Limit})
	var last int64
	if len(items) > 0 {
		last = items[len(items)-1].ID
	}
	return listOf(items, pageNext(p.Limit, len(items), last)), err
}

func (a *API) listOperators(ctx context.Context, r *request) (any, error) {
	ops, err := a.Auth.ListOperators(ctx)
	return listOf(ops, ""), err
}

func (a *API) createOperator(ctx context.Context, r *request) (any, error) {
	var in auth.NewOperator
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	return a.Auth.CreateOperator(ctx, in)
}

// TokenInput asks for a new API token.
type TokenInput struct {
	Name   string   `json:"name" doc:"what the token is for"`
	Scopes []string `json:"scopes" doc:"permissions such as products:read, or * for all of yours"`
	Days   int      `json:"days" doc:"days until it expires; 0 never"`
}

// NewToken is a created token with its secret, shown this once.
type NewToken struct {
	Token  auth.Token `json:"token"`
	Secret string     `json:"secret"`
}

func (a *API) listTokens(ctx context.Context, r *request) (any, error) {
	owner := r.op.ID
	if r.op.Can(permTokensRead) {
		owner = 0 // admins see every token
	}
	toks, err := a.Auth.ListTokens(ctx, owner)
	return listOf(toks, ""), err
}

func (a *API) createToken(ctx context.Context, r *request) (any, error) {
	var in TokenInput
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if in.Days < 0 || in.Days > 3650 {
		return nil, apperr.Field("days", "must be from 0 (never expires) to 3650")
	}
	tok, secret, err := a.Auth.CreateToken(ctx, r.op.ID, in.Name, in.Scopes, time.Duration(in.Days)*24*time.Hour)
	if err != nil {
		return nil, err
	}
	return NewToken{Token: tok, Secret: secret}, nil
}

func (a *API) revokeToken(ctx context.Context, r *request) (any, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	tok, err := a.Auth.GetToken(ctx, id)
	if err != nil {
		return nil, err
	}
	if !auth.CanManageTokens(r.op, tok.OperatorID) {
		return nil, errForbidden("only an admin may revoke another operator's token")
	}
	return nil, a.Auth.RevokeToken(ctx, id)
}

func (a *API) getSettings(ctx context.Context, r *request) (any, error) {
	return settings.Load(ctx, a.DB)
}

func (a *API) putSettings(ctx context.Context, r *request) (any, error) {
	var in settings.Store
	if err := decode(r.Request, &in); err != nil {
		return nil, err
	}
	if err := settings.Save(ctx, a.DB, in); err != nil {
		return nil, err
	}
	return settings.Load(ctx, a.DB)
}

func pageNext(limit, n int, last int64) string {
	if n < limit || last <= 0 {
		return ""
	}
	return page.Cursor(last)
}
