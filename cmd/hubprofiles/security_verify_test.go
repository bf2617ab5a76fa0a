package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
)

// Issue 11 item 7 through the command line an operator runs: the chain head
// each write logs is the witness, and verify --expect checks it.

// chainHeadLog matches the store's log line after a write.
var chainHeadLog = regexp.MustCompile(`msg="history chain head" chain_head=(\d+:[0-9a-f]{64}) revision=\d+`)

// importList imports a one-profile list with --publish and returns the
// chain head the command logged after its last write.
func importList(t *testing.T, dbPath, name string) string {
	t.Helper()
	file := writeFile(t, name+".yaml", "- display_name: "+name+"\n  kubespawner_override: {image: 'quay.io/jupyter/base-notebook:2025-06-02'}\n")
	code, out, errOut := runCmd(t, nil, "import", "--database-url", dbPath, "--publish", "-m", name, file)
	if code != 0 {
		t.Fatalf("import %s: exit %d\n%s%s", name, code, out, errOut)
	}
	m := chainHeadLog.FindAllStringSubmatch(errOut, -1)
	if len(m) == 0 {
		t.Fatalf("import %s logged no chain head:\n%s", name, errOut)
	}
	return m[len(m)-1][1]
}

// tamperSQLite runs SQL on the database file as an admin at a SQL prompt
// who first dropped the append-only triggers and switched foreign keys off.
func tamperSQLite(t *testing.T, dbPath string, stmts ...string) {
	t.Helper()
	db, err := gorm.Open(sqlite.Open(dbPath+"?_pragma=foreign_keys(0)"), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	sqlDB.SetMaxOpenConns(1)
	var triggers []string
	if err := db.Raw(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).Scan(&triggers).Error; err != nil {
		t.Fatal(err)
	}
	for _, name := range triggers {
		stmts = append([]string{`DROP TRIGGER "` + name + `"`}, stmts...)
	}
	for _, stmt := range stmts {
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

func TestSecurityVerifyExpectCatchesDeletedNewestEntries(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "hubprofiles.db")
	before := importList(t, dbPath, "first")
	witness := importList(t, dbPath, "second")

	code, out, errOut := runCmd(t, nil, "verify", "--database-url", dbPath, "--expect", before+","+witness)
	if code != 0 || !strings.Contains(out, "ok: ") || !strings.Contains(out, "chain head "+witness) {
		t.Fatalf("verify on a clean history: exit %d\n%s%s", code, out, errOut)
	}

	// Back to the state after the first import: the newest links, the
	// publications and revisions only they named.
	seq, _, _ := strings.Cut(before, ":")
	tamperSQLite(t, dbPath,
		`DELETE FROM chain_links WHERE seq > `+seq,
		`DELETE FROM publications WHERE id NOT IN (SELECT publication_id FROM chain_links WHERE publication_id IS NOT NULL)`,
		`DELETE FROM revisions WHERE id NOT IN (SELECT revision_id FROM chain_links WHERE revision_id IS NOT NULL)`)

	// Without a witness the shorter history is consistent in itself; the
	// triggers the attacker dropped are all verify can see.
	code, out, _ = runCmd(t, nil, "verify", "--database-url", dbPath)
	if code != 1 || !strings.HasPrefix(out, "FAILED: append-only trigger") {
		t.Errorf("verify without a witness: exit %d, %q; want only the dropped triggers", code, out)
	}
	code, out, _ = runCmd(t, nil, "verify", "--database-url", dbPath, "--expect", witness)
	wseq, _, _ := strings.Cut(witness, ":")
	want := "FAILED: chain link " + wseq + " ("
	if code != 1 || !strings.HasPrefix(out, want) || !strings.Contains(out, "the history ends at link "+seq) {
		t.Errorf("verify --expect %s: exit %d, %q; want %q... ends at link %s", witness, code, out, want, seq)
	}
	// The environment works as the flag does.
	code, _, _ = runCmd(t, map[string]string{"HUBPROFILES_EXPECT": witness}, "verify", "--database-url", dbPath)
	if code != 1 {
		t.Errorf("HUBPROFILES_EXPECT=%s verify: exit %d, want 1", witness, code)
	}
}

func TestSecurityVerifyNamesTheDeletedMiddlePublication(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "hubprofiles.db")
	for _, name := range []string{"first", "second", "third"} {
		importList(t, dbPath, name)
	}
	tamperSQLite(t, dbPath, `DELETE FROM publications WHERE id = 2`)
	code, out, _ := runCmd(t, nil, "verify", "--database-url", dbPath)
	if code != 1 || !strings.HasPrefix(out, "FAILED at publication 2: publication 2 is missing") {
		t.Errorf("verify: exit %d, %q; want FAILED at publication 2", code, out)
	}
}

func TestSecurityVerifyNamesTheRepointedLivePublication(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "hubprofiles.db")
	importList(t, dbPath, "first")
	importList(t, dbPath, "second")
	tamperSQLite(t, dbPath, `UPDATE publications SET revision_id = revision_id - 1 WHERE id = (SELECT MAX(id) FROM publications)`)
	code, out, _ := runCmd(t, nil, "verify", "--database-url", dbPath)
	if code != 1 || !strings.HasPrefix(out, "FAILED at publication 2: publication 2 (of revision") {
		t.Errorf("verify: exit %d, %q; want FAILED at publication 2", code, out)
	}
}

func TestVerifyExpectRefusesAMalformedHead(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "hubprofiles.db")
	code, _, errOut := runCmd(t, nil, "verify", "--database-url", dbPath, "--expect", "12:abc")
	if code != 2 || !strings.Contains(errOut, "must be 64 hex digits") {
		t.Errorf("verify --expect 12:abc: exit %d, %q", code, errOut)
	}
}
