package testpg

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func connect(t *testing.T, url string) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return pgx.Connect(ctx, url)
}

func mustQuery(t *testing.T, url, sql string) string {
	t.Helper()
	conn, err := connect(t, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestStart(t *testing.T) {
	var url string
	t.Run("server", func(t *testing.T) {
		url = Start(t)
		if !strings.HasPrefix(url, "postgres://") {
			t.Errorf("URL %q", url)
		}
		if v := mustQuery(t, url, "SELECT current_setting('server_version_num')"); v < "130000" {
			t.Errorf("server_version_num = %s, want 13 or newer (DROP DATABASE ... WITH (FORCE))", v)
		}
		if got := mustQuery(t, url, "SELECT current_setting('fsync')"); got != "off" {
			t.Errorf("fsync = %s, want off", got)
		}
	})
	// The subtest's cleanup stopped the server.
	if conn, err := connect(t, url); err == nil {
		conn.Close(context.Background())
		t.Error("the server still accepts connections after the test ended")
	}
}

func TestShared(t *testing.T) {
	var a, b string
	t.Run("databases", func(t *testing.T) {
		a, b = Shared(t), Shared(t)
		if a == b {
			t.Fatalf("two Shared calls gave the same URL %s", a)
		}
		if mustQuery(t, a, "SELECT current_setting('port')") != mustQuery(t, b, "SELECT current_setting('port')") {
			t.Error("Shared started two servers")
		}
		conn, err := connect(t, a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(context.Background(), "CREATE TABLE only_in_a (x int)"); err != nil {
			t.Fatal(err)
		}
		conn.Close(context.Background())
		if got := mustQuery(t, b, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'only_in_a'"); got != "0" {
			t.Error("databases from Shared are not separate")
		}
	})
	// Their cleanups dropped both databases; the server is still up.
	for _, url := range []string{a, b} {
		conn, err := connect(t, url)
		if err == nil {
			conn.Close(context.Background())
			t.Errorf("%s still exists after the test ended", url)
		} else if !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("connect to a dropped database: %v, want 'does not exist'", err)
		}
	}
}
