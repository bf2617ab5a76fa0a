package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyAfterCompactHistory: an operator's existing database of the
// release before compact history (store/testdata/v2-awi-ciroh.db) is
// converted on first open, and `verify --expect` with the chain head that
// release logged still passes; export still prints what that release's API
// exported.
func TestVerifyAfterCompactHistory(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "store", "testdata", "v2-awi-ciroh.db"))
	if err != nil {
		t.Fatal(err)
	}
	witness, err := os.ReadFile(filepath.Join("..", "..", "store", "testdata", "v2-awi-ciroh.chain-head"))
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(string(witness))
	db := filepath.Join(t.TempDir(), "hubprofiles.db")
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, nil, "verify", "--database-url", db, "--expect", head)
	if code != 0 || !strings.Contains(out, "ok: ") || !strings.Contains(out, "chain head "+head) {
		t.Fatalf("verify --expect %s on the converted database: exit %d\n%s%s", head, code, out, errOut)
	}
	manifest, err := os.ReadFile(filepath.Join("..", "..", "api", "testdata", "v2-history.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, nil, "export", "--database-url", db, "--revision", "3", "--format", "yaml")
	sum := sha256.Sum256([]byte(out))
	if line := hex.EncodeToString(sum[:]) + " export-3.yaml"; code != 0 || !strings.Contains(string(manifest), line) {
		t.Errorf("export --revision 3 --format yaml: exit %d, output not what the previous release exported (want %q in the manifest)\n%s", code, line, errOut)
	}
}
