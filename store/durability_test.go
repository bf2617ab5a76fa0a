package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/proc"
)

// crashEnv, when set, makes TestAcknowledgedSurvivesSIGKILL the child: it
// appends to the SQLite file the variable names and prints each
// acknowledged id, until it is killed.
const crashEnv = "HUBPROFILES_STORE_CRASH_DB"

// TestAcknowledgedSurvivesSIGKILL kills a process that is appending, at a
// random point mid-stream, and checks that every Append it had acknowledged
// is in the database when it is opened again, and that the history verifies.
func TestAcknowledgedSurvivesSIGKILL(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	// The child's stdout is a pipe of our own, not cmd.StdoutPipe, so that
	// reading it and waiting for the child do not depend on each other.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedSurvivesSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	child, err := proc.Start(cmd, "")
	w.Close() // the child has its own descriptor: EOF when it exits
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Kill() })
	var acked []int64
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		id, ok := strings.CutPrefix(lines.Text(), "acked ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, n)
		if len(acked) == 200 {
			// Kill mid-stream: the child is in its next Append by now.
			if err := child.Kill(); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if len(acked) < 200 {
		_ = child.Kill()
		t.Fatalf("the child acknowledged only %d appends before it stopped", len(acked))
	}

	s := openStore(t, path)
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if last := acked[len(acked)-1]; n < last {
		t.Fatalf("after SIGKILL the database has %d revisions, but %d were acknowledged", n, last)
	}
	for _, id := range acked {
		r, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("acknowledged revision %d: %v", id, err)
		}
		if want := fmt.Sprintf("change %d", id); r.Message != want {
			t.Errorf("revision %d: message %q, want %q", id, r.Message, want)
		}
	}
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK() || rep.Revisions != n {
		t.Errorf("Verify after SIGKILL = %+v, %v", rep, err)
	}
}

// crashChild appends for at most a minute, printing each acknowledged id.
func crashChild(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute)
	for base := int64(0); time.Now().Before(deadline); base++ {
		catalog, profileList := content(int(base))
		r, err := s.Append(ctx, NewRevision{Base: base, Catalog: catalog, ProfileList: profileList, Author: "crash", Message: fmt.Sprintf("change %d", base+1)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("acked %d\n", r.ID)
	}
	os.Exit(3)
}
