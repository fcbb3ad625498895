package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/storeops/storeops/internal/apperr"
)

// HashParams are argon2id's cost parameters. They are written into every
// hash, so raising them later leaves old hashes checkable; a login with an
// older hash rewrites it with the current parameters.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultHashParams cost about 64 MiB and a few tens of milliseconds per
// check: slow enough to make guessing a stolen hash expensive, fast enough
// for a login form.
var DefaultHashParams = HashParams{Memory: 64 * 1024, Time: 3, Threads: 2}

// hashParams is what new hashes use. Tests lower it: the race detector
// makes a 64 MiB hash take seconds.
var hashParams = DefaultHashParams

const (
	saltLen = 16
	keyLen  = 32

	PasswordMinLen = 8
	PasswordMaxLen = 256 // bounds the work a login form can ask for
)

// ErrMalformedHash means a stored password hash is not one HashPassword wrote.
var ErrMalformedHash = errors.New("password hash: not an argon2id PHC string")

var b64 = base64.RawStdEncoding

// HashPassword returns pw's argon2id hash in the PHC string format
// $argon2id$v=19$m=65536,t=3,p=2$salt$hash.
func HashPassword(pw string) (string, error) {
	return hashWith(pw, hashParams)
}

func hashWith(pw string, p HashParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash. The error is only for a hash
// that cannot be read, never for a wrong password.
func CheckPassword(hash, pw string) (bool, error) {
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// needsRehash reports whether hash was made with parameters other than the
// current ones.
func needsRehash(hash string) bool {
	p, _, _, err := parseHash(hash)
	return err != nil || p != hashParams
}

func parseHash(hash string) (HashParams, []byte, []byte, error) {
	var p HashParams
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: version %q, want v=%d", ErrMalformedHash, parts[2], argon2.Version)
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil {
		return p, nil, nil, fmt.Errorf("%w: parameters %q", ErrMalformedHash, parts[3])
	}
	if p.Time < 1 || threads < 1 || threads > 255 || p.Memory < 8*threads {
		return p, nil, nil, fmt.Errorf("%w: parameters %q out of range", ErrMalformedHash, parts[3])
	}
	p.Threads = uint8(threads)
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	return p, salt, key, nil
}

// dummy is a hash of nothing anyone types, checked when a login names an
// unknown operator so that the answer takes as long as a wrong password.
var dummy struct {
	sync.Mutex
	params HashParams
	hash   string
}

func dummyHash() string {
	dummy.Lock()
	defer dummy.Unlock()
	if dummy.hash == "" || dummy.params != hashParams {
		h, err := hashWith("\x00storeops-no-such-operator", hashParams)
		if err != nil {
			return ""
		}
		dummy.params, dummy.hash = hashParams, h
	}
	return dummy.hash
}

// ValidatePassword checks the password policy: 8 to 256 characters, not only
// digits (a date of birth or a phone number is guessed first).
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n == 0:
		return apperr.Field("password", "enter a password of at least %d characters", PasswordMinLen)
	case n < PasswordMinLen:
		return apperr.Field("password", "must be at least %d characters long (this one has %d)", PasswordMinLen, n)
	case n > PasswordMaxLen:
		return apperr.Field("password", "must be at most %d characters long (this one has %d)", PasswordMaxLen, n)
	case strings.TrimSpace(pw) == "":
		return apperr.Field("password", "must not be only spaces")
	case onlyDigits(pw):
		return apperr.Field("password", "must not be only digits; add letters or symbols")
	}
	return nil
}

func onlyDigits(s string) bool {
	for _, c := range s {
		if !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}
