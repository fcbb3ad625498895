package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBench_RefusesNonLoopbackURL(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.com", "http://0.0.0.0:8080"} {
		var out, errb bytes.Buffer
		code := runCLI(context.Background(), []string{"bench", "--url", u, "--token", "so_x", "--duration", "1s"}, nil, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "not loopback") {
			t.Errorf("bench --url %s: exit %d, stderr %q; want 1 and a loopback refusal", u, code, errb.String())
		}
	}
}

func TestBench_SelfAndURLTogetherIsRefused(t *testing.T) {
	var out, errb bytes.Buffer
	code := runCLI(context.Background(), []string{"bench", "--self", "--url", "http://127.0.0.1:1"}, nil, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "choose one") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}
