package proc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// running says whether pid is a live (not zombie) process.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) STATE ...: comm may hold spaces, so look after the last ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// gone waits (bounded) until pid is no longer running.
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startShell runs script under sh, which writes its background child's pid
// to a file; it returns the process and that child's pid.
func startShell(t *testing.T, script string) (*Process, int) {
	t.Helper()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "PIDFILE="+pidFile)
	p, err := Start(cmd, filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill() })
	var child int
	err = p.WaitReady(10*time.Millisecond, func() error {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return err
		}
		child, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, child
}

// A process that ignores its stop signal, with a child holding its output
// open, is killed with its child after the grace period, and Stop says so.
func TestStopEscalatesToTheGroup(t *testing.T) {
	p, child := startShell(t, `trap "" TERM; sleep 1000 & echo $! > "$PIDFILE"; echo started; wait`)
	start := time.Now()
	err := p.Stop(syscall.SIGTERM, 500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not exit within 500ms of terminated") || !strings.Contains(err.Error(), "started") {
		t.Errorf("Stop = %v, want it to report the SIGKILL with the log", err)
	}
	if took := time.Since(start); took > killWait+5*time.Second {
		t.Errorf("Stop took %s", took)
	}
	if exited, _ := p.Exited(); !exited {
		t.Error("the process is still running")
	}
	gone(t, child)
}

// A leader that exits on its signal but leaves a child behind: Stop
// succeeds and the child goes too.
func TestStopSweepsLeftoverChildren(t *testing.T) {
	p, child := startShell(t, `sleep 1000 & echo $! > "$PIDFILE"; trap "exit 0" TERM; while :; do sleep 0.05; done`)
	if err := p.Stop(syscall.SIGTERM, 30*time.Second); err != nil {
		t.Errorf("Stop = %v", err)
	}
	gone(t, child)
	if err := p.Stop(syscall.SIGTERM, time.Second); err != nil {
		t.Errorf("second Stop = %v", err)
	}
}

func TestWaitReadyReportsAnEarlyExitWithTheLog(t *testing.T) {
	dir := t.TempDir()
	p, err := Start(exec.Command("/bin/sh", "-c", "echo cannot bind port; exit 3"), filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(10*time.Millisecond, func() error { return os.ErrNotExist })
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready (exit status 3") || !strings.Contains(err.Error(), "cannot bind port") {
		t.Errorf("WaitReady = %v", err)
	}
}

func TestRunTimesOutAndKillsTheGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	cmd := exec.Command("/bin/sh", "-c", `trap "" TERM; sleep 1000 & echo $! > "$PIDFILE"; echo hello; wait`)
	cmd.Env = append(os.Environ(), "PIDFILE="+pidFile)
	out, err := Run(cmd, 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "did not finish within 2s") {
		t.Errorf("Run = %v", err)
	}
	if !strings.Contains(string(out), "hello") {
		t.Errorf("output %q", out)
	}
	b, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	child, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	gone(t, child)

	out, err = Run(exec.Command("/bin/sh", "-c", "echo fine"), time.Minute)
	if err != nil || string(out) != "fine\n" {
		t.Errorf("Run = %q, %v", out, err)
	}
}
