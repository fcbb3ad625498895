package auth

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

var secretFormat = regexp.MustCompile(`^so_[A-Za-z0-9_-]{43}$`)

func TestTokens_CreateAuthenticateList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		o := mustCreate(t, s, "erp", RoleOperator, "erp-sync-2025")
		tok, secret, err := s.CreateToken(ctx, o.ID, " ERP sync ", []string{"products:write", "orders:read", "products:write"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !secretFormat.MatchString(secret) {
			t.Fatalf("secret %q is not so_ + 32 bytes of base64url", secret)
		}
		if tok.ID == 0 || tok.OperatorID != o.ID || tok.Name != "ERP sync" || tok.Prefix != secret[3:11] ||
			!slices.Equal(tok.Scopes, []string{"orders:read", "products:write"}) || !tok.ExpiresAt.IsZero() || !tok.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("token %+v", tok)
		}
		var stored string
		d.QueryRow(ctx, `SELECT token_hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&stored)
		if stored != hashSecret(secret) {
			t.Errorf("stored %q, want the SHA-256 of the secret", stored)
		}

		clk.Add(time.Hour)
		op, got, err := s.AuthenticateToken(ctx, secret)
		if err != nil || op.ID != o.ID || got.ID != tok.ID || !got.LastUsedAt.Equal(clk.Now()) {
			t.Fatalf("AuthenticateToken = %+v, %+v, %v", op, got, err)
		}
		if !got.Allows(op.Role, "products:read") || !got.Allows(op.Role, "orders:read") || got.Allows(op.Role, "orders:write") {
			t.Errorf("scopes %v allow the wrong things", got.Scopes)
		}
		// Used again within the minute: not written again.
		clk.Add(30 * time.Second)
		_, got, _ = s.AuthenticateToken(ctx, secret)
		if !got.LastUsedAt.Equal(clk.Now().Add(-30 * time.Second)) {
			t.Errorf("last_used_at %v rewritten within a minute", got.LastUsedAt)
		}

		for _, bad := range []string{"", "so_", "so_abcdefgh", "xx_" + secret[3:], secret + "x"} {
			if _, _, err := s.AuthenticateToken(ctx, bad); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("AuthenticateToken(%q) = %v, want ErrInvalidToken", bad, err)
			}
		}

		other := mustCreate(t, s, "shop", RoleViewer, "kanban-2025")
		if _, _, err := s.CreateToken(ctx, other.ID, "dashboard", []string{"*"}, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		mine, _ := s.ListTokens(ctx, o.ID)
		all, _ := s.ListTokens(ctx, 0)
		if len(mine) != 1 || mine[0].ID != tok.ID || mine[0].Prefix != tok.Prefix || len(all) != 2 || all[0].Name != "dashboard" {
			t.Fatalf("ListTokens(mine) = %+v; ListTokens(0) = %+v", mine, all)
		}
		if all[0].ExpiresAt.IsZero() || !slices.Equal(all[0].Scopes, []string{"*"}) {
			t.Errorf("listed %+v", all[0])
		}
	})
}

func TestTokens_ScopesAreValidatedAgainstTheRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		o := mustCreate(t, s, "kefu", RoleService, "kefu-2025-pw")
		cases := []struct {
			name   string
			scopes []string
			ttl    time.Duration
			field  string
		}{
			{"no scopes", nil, 0, "scopes"},
			{"unknown scope", []string{"products:delete"}, 0, "scopes"},
			{"beyond the role", []string{"products:write"}, 0, "scopes"},
			{"admin only", []string{"settings:write"}, 0, "scopes"},
			{"negative ttl", []string{"orders:read"}, -time.Hour, "ttl"},
		}
		for _, c := range cases {
			_, _, err := s.CreateToken(ctx, o.ID, "x", c.scopes, c.ttl)
			var fe *apperr.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Errorf("%s: %v, want a FieldError on %s", c.name, err, c.field)
			}
		}
		var fe *apperr.FieldError
		if _, _, err := s.CreateToken(ctx, o.ID, "  ", []string{"orders:read"}, 0); !errors.As(err, &fe) || fe.Field != "name" {
			t.Errorf("blank name: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, 9999, "x", []string{"orders:read"}, 0); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("unknown operator: %v", err)
		}
		tok, _, err := s.CreateToken(ctx, o.ID, "x", []string{"orders:write", "*"}, 0)
		if err != nil || !slices.Equal(tok.Scopes, []string{"*"}) {
			t.Errorf("* with others = %v, %v; want just *", tok.Scopes, err)
		}
		if all, _ := s.ListTokens(ctx, 0); len(all) != 1 {
			t.Errorf("%d tokens stored, want only the valid one", len(all))
		}
	})
}

func TestTokens_RevokedAndExpiredAreRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		o := mustCreate(t, s, "erp", RoleOperator, "erp-sync-2025")
		keep, keepSecret, _ := s.CreateToken(ctx, o.ID, "keep", []string{"orders:read"}, 0)
		gone, goneSecret, _ := s.CreateToken(ctx, o.ID, "gone", []string{"orders:read"}, 0)
		_, shortSecret, _ := s.CreateToken(ctx, o.ID, "short", []string{"orders:read"}, time.Hour)

		if err := s.RevokeToken(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, goneSecret); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("revoked token: %v", err)
		}
		if err := s.RevokeToken(ctx, gone.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if err := s.RevokeToken(ctx, 9999); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("revoke unknown: %v", err)
		}
		if got, _ := s.GetToken(ctx, gone.ID); !got.RevokedAt.Equal(clk.Now()) {
			t.Errorf("revoked_at %v, want %v", got.RevokedAt, clk.Now())
		}

		clk.Add(time.Hour - time.Millisecond)
		if _, _, err := s.AuthenticateToken(ctx, shortSecret); err != nil {
			t.Errorf("token a millisecond before expiry: %v", err)
		}
		clk.Add(time.Millisecond)
		if _, _, err := s.AuthenticateToken(ctx, shortSecret); !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "expired") {
			t.Errorf("expired token: %v", err)
		}
		if _, got, err := s.AuthenticateToken(ctx, keepSecret); err != nil || got.ID != keep.ID {
			t.Errorf("untouched token: %v", err)
		}

		entries, _ := audit.List(ctx, d, audit.Filter{Entity: "api_token"})
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			if strings.Contains(string(e.After), keepSecret[3:]) || strings.Contains(string(e.After), "token_hash") {
				t.Errorf("audit entry holds a secret: %s", e.After)
			}
		}
		if got := strings.Join(actions, " "); got != "token.revoke token.create token.create token.create" {
			t.Errorf("audit actions %q", got)
		}
	})
}

func TestTokens_DemotingTheOperatorNarrowsTheirTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		mustCreate(t, s, "boss", RoleAdmin, "laoban-2025")
		o := mustCreate(t, s, "erp", RoleOperator, "erp-sync-2025")
		_, secret, err := s.CreateToken(ctx, o.ID, "ERP", []string{"*"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		op, tok, _ := s.AuthenticateToken(ctx, secret)
		if !tok.Allows(op.Role, "products:write") || tok.Allows(op.Role, "settings:write") {
			t.Fatalf("as operator: products:write %v, settings:write %v", tok.Allows(op.Role, "products:write"), tok.Allows(op.Role, "settings:write"))
		}
		if _, err := s.UpdateOperator(ctx, o.ID, OperatorUpdate{Role: ptr("viewer")}); err != nil {
			t.Fatal(err)
		}
		op, tok, err = s.AuthenticateToken(ctx, secret)
		if err != nil || op.Role != RoleViewer {
			t.Fatalf("after demotion: %+v, %v", op, err)
		}
		if tok.Allows(op.Role, "products:write") || !tok.Allows(op.Role, "products:read") {
			t.Errorf("as viewer: products:write %v (want false), products:read %v (want true)",
				tok.Allows(op.Role, "products:write"), tok.Allows(op.Role, "products:read"))
		}

		if _, err := s.UpdateOperator(ctx, o.ID, OperatorUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, ErrInvalidToken) || !errors.Is(err, ErrOperatorDisabled) {
			t.Errorf("disabled operator's token: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, o.ID, "new", []string{"products:read"}, 0); !errors.Is(err, ErrOperatorDisabled) {
			t.Errorf("token for a disabled operator: %v", err)
		}
	})
}
