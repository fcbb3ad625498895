package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storeops/storeops/internal/apperr"
	"github.com/storeops/storeops/internal/audit"
	"github.com/storeops/storeops/internal/db"
	"github.com/storeops/storeops/internal/db/dbtest"
)

func TestOperators_CreateListGetUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, clk := newService(d)
		admin, err := s.CreateOperator(ctx, NewOperator{Username: " Wang.Fang ", DisplayName: "王芳", Role: RoleAdmin, Password: "kaidian-2025", Lang: "zh-CN"})
		if err != nil {
			t.Fatal(err)
		}
		if admin.ID == 0 || admin.Username != "wang.fang" || admin.DisplayName != "王芳" || admin.Role != RoleAdmin ||
			admin.Lang != "zh-CN" || admin.Disabled || !admin.CreatedAt.Equal(clk.Now()) || !admin.UpdatedAt.Equal(clk.Now()) {
			t.Fatalf("created %+v", admin)
		}
		clk.Add(time.Second)
		designer := mustCreate(t, s, "li_na", RoleDesigner, "meigong-pass")

		list, err := s.ListOperators(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Username != "li_na" || list[1] != admin {
			t.Fatalf("ListOperators = %+v", list)
		}

		got, err := s.GetOperator(ctx, designer.ID)
		if err != nil || got != designer {
			t.Fatalf("GetOperator = %+v, %v; want %+v", got, err, designer)
		}
		got, err = s.GetOperatorByUsername(ctx, "LI_NA")
		if err != nil || got != designer {
			t.Fatalf("GetOperatorByUsername(LI_NA) = %+v, %v", got, err)
		}
		if _, err := s.GetOperator(ctx, 9999); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("GetOperator(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := s.GetOperatorByUsername(ctx, "nobody"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("GetOperatorByUsername(unknown) = %v, want ErrNotFound", err)
		}

		clk.Add(time.Minute)
		up, err := s.UpdateOperator(ctx, designer.ID, OperatorUpdate{DisplayName: ptr("  李娜 "), Role: ptr("operator"), Lang: ptr("en")})
		if err != nil {
			t.Fatal(err)
		}
		if up.DisplayName != "李娜" || up.Role != RoleOperator || up.Lang != "en" || up.Disabled || !up.UpdatedAt.Equal(clk.Now()) {
			t.Fatalf("updated %+v", up)
		}
		if got, _ := s.GetOperator(ctx, designer.ID); got != up {
			t.Fatalf("stored %+v, returned %+v", got, up)
		}
		up, err = s.UpdateOperator(ctx, designer.ID, OperatorUpdate{Disabled: ptr(true)})
		if err != nil || !up.Disabled || up.Role != RoleOperator || up.DisplayName != "李娜" {
			t.Fatalf("disable: %+v, %v", up, err)
		}
		if _, err := s.UpdateOperator(ctx, 9999, OperatorUpdate{Disabled: ptr(true)}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("update unknown = %v, want ErrNotFound", err)
		}
	})
}

func TestOperators_ValidationNamesTheField(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		mustCreate(t, s, "zhang.wei", RoleOperator, "yunying-2025")
		cases := []struct {
			n     NewOperator
			field string
			says  string
		}{
			{NewOperator{Username: "Zhang.Wei", Role: RoleViewer, Password: "another-pass"}, "username", "already taken"},
			{NewOperator{Username: "zw", Role: RoleViewer, Password: "another-pass"}, "username", "3 to 32"},
			{NewOperator{Username: "zhang wei", Role: RoleViewer, Password: "another-pass"}, "username", "not allowed"},
			{NewOperator{Username: "zhao", Role: "boss", Password: "another-pass"}, "role", "not a role"},
			{NewOperator{Username: "zhao", Role: RoleViewer, Password: "13800138000"}, "password", "only digits"},
			{NewOperator{Username: "zhao", Role: RoleViewer, Password: "short"}, "password", "at least 8"},
			{NewOperator{Username: "zhao", Role: RoleViewer, Password: "another-pass", Lang: "fr"}, "lang", "not a console language"},
			{NewOperator{Username: "zhao", Role: RoleViewer, Password: "another-pass", DisplayName: strings.Repeat("名", 65)}, "display_name", "at most 64"},
		}
		for _, c := range cases {
			_, err := s.CreateOperator(ctx, c.n)
			var fe *apperr.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Message, c.says) {
				t.Errorf("CreateOperator(%+v) = %v; want %s: …%s…", c.n, err, c.field, c.says)
			}
		}
		list, _ := s.ListOperators(ctx)
		if len(list) != 1 {
			t.Errorf("%d operators after refused creations, want 1", len(list))
		}
		var fe *apperr.FieldError
		if _, err := s.UpdateOperator(ctx, list[0].ID, OperatorUpdate{Role: ptr("boss")}); !errors.As(err, &fe) || fe.Field != "role" {
			t.Errorf("update role boss = %v", err)
		}
	})
}

func TestOperators_LastEnabledAdminIsKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		a1 := mustCreate(t, s, "boss", RoleAdmin, "laoban-2025")
		mustCreate(t, s, "staff", RoleOperator, "yuangong-25")

		if _, err := s.UpdateOperator(ctx, a1.ID, OperatorUpdate{Role: ptr("operator")}); !errors.Is(err, ErrLastAdmin) || !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("demote last admin = %v, want ErrLastAdmin", err)
		}
		if _, err := s.UpdateOperator(ctx, a1.ID, OperatorUpdate{Disabled: ptr(true)}); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("disable last admin = %v, want ErrLastAdmin", err)
		}
		if got, _ := s.GetOperator(ctx, a1.ID); got.Role != RoleAdmin || got.Disabled {
			t.Fatalf("refused change was stored: %+v", got)
		}
		// Changing anything else about the last admin is fine.
		if _, err := s.UpdateOperator(ctx, a1.ID, OperatorUpdate{DisplayName: ptr("老板"), Role: ptr("admin"), Disabled: ptr(false)}); err != nil {
			t.Fatalf("rename last admin: %v", err)
		}

		// A disabled admin does not count as the one that remains.
		a2 := mustCreate(t, s, "boss2", RoleAdmin, "laoban-2026")
		if _, err := s.UpdateOperator(ctx, a2.ID, OperatorUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatalf("disable second admin: %v", err)
		}
		if _, err := s.UpdateOperator(ctx, a1.ID, OperatorUpdate{Role: ptr("viewer")}); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("demote the only enabled admin = %v, want ErrLastAdmin", err)
		}
		if _, err := s.UpdateOperator(ctx, a2.ID, OperatorUpdate{Disabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateOperator(ctx, a1.ID, OperatorUpdate{Role: ptr("viewer")}); err != nil {
			t.Fatalf("demote with another admin left: %v", err)
		}
		if _, err := s.UpdateOperator(ctx, a2.ID, OperatorUpdate{Disabled: ptr(true)}); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("disable the new last admin = %v, want ErrLastAdmin", err)
		}
	})
}

func TestSetPassword_ReplacesPasswordAndEndsSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(d)
		o := mustCreate(t, s, "chen", RoleService, "kefu-old-pw")
		_, cookie, err := s.Login(ctx, "chen", "kefu-old-pw", "10.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		var fe *apperr.FieldError
		if err := s.SetPassword(ctx, o.ID, "1234567890"); !errors.As(err, &fe) || fe.Field != "password" {
			t.Fatalf("SetPassword(digits) = %v", err)
		}
		if err := s.SetPassword(ctx, 9999, "kefu-new-pw"); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("SetPassword(unknown) = %v", err)
		}
		if err := s.SetPassword(ctx, o.ID, "kefu-new-pw"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Authenticate(ctx, cookie); !errors.Is(err, ErrInvalidSession) {
			t.Errorf("session after password change: %v, want ErrInvalidSession", err)
		}
		if _, _, err := s.Login(ctx, "chen", "kefu-old-pw", "10.0.0.1", "test"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password: %v", err)
		}
		if _, _, err := s.Login(ctx, "chen", "kefu-new-pw", "10.0.0.1", "test"); err != nil {
			t.Errorf("new password: %v", err)
		}
	})
}

func TestOperators_ChangesAuditedWithoutPasswordHashes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(d)
		ctx := audit.WithActor(context.Background(), audit.Actor{Kind: "operator", ID: 42, Name: "boss"})
		o, err := s.CreateOperator(ctx, NewOperator{Username: "sun", Role: RoleFinance, Password: "caiwu-pass-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateOperator(ctx, o.ID, OperatorUpdate{Role: ptr("viewer")}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, o.ID, "caiwu-pass-2"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(context.Background(), "sun", "caiwu-pass-2", "10.1.2.3", "ua"); err != nil {
			t.Fatal(err)
		}

		entries, err := audit.List(context.Background(), d, audit.Filter{Entity: "operator", EntityID: "1"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			all := string(e.Before) + string(e.After)
			for _, secret := range []string{"argon2", "password_hash", "caiwu-pass"} {
				if strings.Contains(all, secret) {
					t.Errorf("audit entry %s holds %q: %s", e.Action, secret, all)
				}
			}
		}
		want := "operator.login operator.password operator.update operator.create"
		if got := strings.Join(actions, " "); got != want {
			t.Fatalf("audit actions %q, want %q", got, want)
		}
		upd := entries[2]
		if upd.Actor.ID != 42 || !strings.Contains(string(upd.Before), `"role":"finance"`) || !strings.Contains(string(upd.After), `"role":"viewer"`) {
			t.Errorf("update entry: actor %+v before %s after %s", upd.Actor, upd.Before, upd.After)
		}
		login := entries[0]
		if login.Actor.Kind != "operator" || login.Actor.ID != o.ID || login.Actor.IP != "10.1.2.3" {
			t.Errorf("login entry actor %+v, want the operator logging in", login.Actor)
		}
	})
}
