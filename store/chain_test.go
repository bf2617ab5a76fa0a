package store

import (
	"context"
	"testing"
)

// TestMigrationLinksExistingHistory: a database made before chain_links
// (schema version 1) gets links for all its rows when it is opened, in the
// order they were written: the same chain the store would have built live,
// so heads logged before the upgrade by nobody are not needed, and heads
// logged after it stay valid.
func TestMigrationLinksExistingHistory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			src := openStore(t, b.url(t))
			want := history(t, src)
			// The same history in a database of schema version 1, as the
			// release before chain_links wrote it.
			url := b.url(t)
			legacyCopy(t, src, url, 1)

			s := openStore(t, url)
			got, err := s.ChainHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("chain head after the migration %s, want %s (the chain built live)", got, want)
			}
			rep, err := s.Verify(ctx, want)
			if err != nil || !rep.OK() {
				t.Errorf("Verify after the migration = %+v, %v", rep, err)
			}
			// Writes go on from the migrated chain.
			appendN(t, s, 1)
			publish(t, s, 6)
			if rep, err := s.Verify(ctx, want); err != nil || !rep.OK() || rep.Head.Seq != 10 {
				t.Errorf("Verify after writing on = %+v, %v", rep, err)
			}
		})
	}
}

func TestParseChainHead(t *testing.T) {
	hash := "3F5A" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	h, err := ParseChainHead(" 12:" + hash + "\n")
	if err != nil || h.Seq != 12 || h.String() != "12:3f5a0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab" {
		t.Errorf("ParseChainHead = %+v, %v", h, err)
	}
	for _, bad := range []string{"", "12", "0:" + hash, "-1:" + hash, "x:" + hash, "12:" + hash[:63], "12:" + hash + "0", "12:zz" + hash[2:]} {
		if _, err := ParseChainHead(bad); err == nil {
			t.Errorf("ParseChainHead(%q): no error", bad)
		}
	}
}
