package auth

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/ROLES.md's matrix from the code")

const (
	matrixStart = "<!-- matrix:start -->\n"
	matrixEnd   = "<!-- matrix:end -->"
)

func TestRolesDocMatchesMatrix(t *testing.T) {
	const path = "../../docs/ROLES.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, matrixStart), strings.Index(doc, matrixEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q block", path, matrixStart, matrixEnd)
	}
	want := MatrixMarkdown()
	if got := doc[i+len(matrixStart) : j]; got != want {
		if *update {
			os.WriteFile(path, []byte(doc[:i+len(matrixStart)]+want+doc[j:]), 0o644)
			return
		}
		t.Fatalf("docs/ROLES.md is out of date with the permission matrix; run go test ./internal/auth -run RolesDoc -update\nwant:\n%s", want)
	}
}
