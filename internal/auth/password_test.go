package auth

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/storeops/storeops/internal/apperr"
)

// cheapParams keep the race-enabled suite fast; production hashing cost is
// checked by TestDefaultHashParams_StaySlow.
var cheapParams = HashParams{Memory: 64, Time: 1, Threads: 1}

func TestMain(m *testing.M) {
	hashParams = cheapParams
	os.Exit(m.Run())
}

func TestDefaultHashParams_StaySlow(t *testing.T) {
	p := DefaultHashParams
	if p.Memory < 64*1024 || p.Time < 3 || p.Threads < 1 {
		t.Fatalf("DefaultHashParams = %+v, want at least m=65536 KiB, t=3", p)
	}
}

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestHashPassword_PHCFormatAndVerify(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	m := phc.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if m[1] != "64" || m[2] != "1" || m[3] != "1" {
		t.Errorf("parameters m=%s,t=%s,p=%s, want the current ones m=64,t=1,p=1", m[1], m[2], m[3])
	}
	if len(m[4]) != 22 || len(m[5]) != 43 { // 16-byte salt, 32-byte key, unpadded base64
		t.Errorf("salt %q / key %q have unexpected lengths", m[4], m[5])
	}
	if ok, err := CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Errorf("CheckPassword(right) = %v, %v", ok, err)
	}
	if ok, err := CheckPassword(h, "correct horsf"); ok || err != nil {
		t.Errorf("CheckPassword(wrong) = %v, %v", ok, err)
	}
	h2, _ := HashPassword("correct horse")
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestCheckPassword_ReadsParametersFromTheHash(t *testing.T) {
	old, err := hashWith("s3cret-pass", HashParams{Memory: 32, Time: 2, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword(old, "s3cret-pass"); !ok || err != nil {
		t.Fatalf("hash with other parameters: CheckPassword = %v, %v", ok, err)
	}
	if !needsRehash(old) {
		t.Error("a hash with other parameters should be upgraded")
	}
	cur, _ := HashPassword("s3cret-pass")
	if needsRehash(cur) {
		t.Error("a hash with the current parameters needs no upgrade")
	}
}

func TestCheckPassword_MalformedHash(t *testing.T) {
	good, _ := HashPassword("s3cret-pass")
	parts := strings.Split(good, "$")
	for _, h := range []string{
		"",
		"plaintext",
		"$2a$10$abcdefghijklmnopqrstuv", // bcrypt
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=64,t=0,p=1", 1),
		strings.Replace(good, "m=64,t=1,p=1", "m=x,t=1,p=1", 1),
		"$" + parts[1] + "$" + parts[2] + "$" + parts[3] + "$!!!$" + parts[5],
		"$" + parts[1] + "$" + parts[2] + "$" + parts[3] + "$" + parts[4] + "$",
	} {
		ok, err := CheckPassword(h, "s3cret-pass")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("CheckPassword(%q) = %v, %v; want false, ErrMalformedHash", h, ok, err)
		}
	}
}

func TestValidatePassword_Policy(t *testing.T) {
	cases := []struct {
		pw      string
		wantErr string // "" = accepted
	}{
		{"", "enter a password"},
		{"abc", "at least 8 characters long (this one has 3)"},
		{"abcdefg", "at least 8"},
		{"12345678", "only digits"},
		{"2024061812345", "only digits"},
		{"        ", "only spaces"},
		{strings.Repeat("a", 257), "at most 256"},
		{"abcdefgh", ""},
		{"1234567a", ""},
		{"密码是八个汉字啊", ""}, // 8 characters, more bytes
		{"密码太短", "at least 8"},
		{strings.Repeat("a", 256), ""},
	}
	for _, c := range cases {
		err := ValidatePassword(c.pw)
		if c.wantErr == "" {
			if err != nil {
				t.Errorf("ValidatePassword(%q) = %v, want accepted", c.pw, err)
			}
			continue
		}
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || fe.Field != "password" {
			t.Errorf("ValidatePassword(%q) = %v, want a FieldError on password", c.pw, err)
			continue
		}
		if !strings.Contains(fe.Message, c.wantErr) {
			t.Errorf("ValidatePassword(%q) message %q, want it to say %q", c.pw, fe.Message, c.wantErr)
		}
	}
}

func TestValidateUsername(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"ab", false},
		{"abc", true},
		{"li.na_2-x", true},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), false},
		{"", false},
		{"li na", false},
		{"李娜abc", false},
		{"a@b.c", false},
	}
	for _, c := range cases {
		err := ValidateUsername(c.name)
		if c.ok != (err == nil) {
			t.Errorf("ValidateUsername(%q) = %v, want ok=%v", c.name, err, c.ok)
		}
		var fe *apperr.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "username") {
			t.Errorf("ValidateUsername(%q) = %v, want a FieldError on username", c.name, err)
		}
	}
}
