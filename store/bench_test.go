package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// content makes a catalog and a profile list of realistic size for revision
// n: 12 images, 8 profiles with options, like the larger real hubs (the
// median real profile list is ~5 KB, the largest ~26 KB). Each revision bumps
// one image tag, the most common real edit.
func content(n int) (catalog, profileList []byte) {
	var c, p strings.Builder
	c.WriteString(`{"images":[`)
	for i := range 12 {
		if i > 0 {
			c.WriteString(",")
		}
		tag := "2024.01.0"
		if i == n%12 {
			tag = fmt.Sprintf("2024.%02d.%d", n%12+1, n)
		}
		fmt.Fprintf(&c, `{"slug":"image-%d","display_name":"Image %d","description":"A curated image with Python, R and Julia for course %d","ref":"quay.io/org/image-%d:%s"}`, i, i, i, i, tag)
	}
	c.WriteString(`],"node_groups":[{"slug":"n2-highmem-4","display_name":"n2-highmem-4: 4 CPU, 32 GB","node_selector":{"node.kubernetes.io/instance-type":"n2-highmem-4"},"allocatable":{"cpu":3.92,"memory":30601641984,"gpu":0,"gpu_resource":"nvidia.com/gpu"}}],"profiles":[`)
	p.WriteString("[")
	for i := range 8 {
		if i > 0 {
			c.WriteString(",")
			p.WriteString(",")
		}
		fmt.Fprintf(&c, `{"slug":"profile-%d","display_name":"Profile %d","description":"Start a server with up to %d GB of memory","image":"image-%d","node_group":"n2-highmem-4","kubespawner_override":{"mem_guarantee":"%dG","mem_limit":"%dG","cpu_guarantee":0.5,"cpu_limit":%d},"options":[{"key":"image","display_name":"Image","choices":[{"key":"a","display_name":"Image A","image":"image-%d","default":true},{"key":"b","display_name":"Image B","image":"image-%d"}],"unlisted_choice":{"enabled":true,"display_name":"Other image","validation_regex":"^.+:.+$","validation_message":"name:tag","kubespawner_override":{"image":"{value}"}}}]}`,
			i, i, 2<<i, i%12, 1<<i, 2<<i, 1+i, i%12, (i+1)%12)
		fmt.Fprintf(&p, `{"display_name":"Profile %d","slug":"profile-%d","description":"Start a server with up to %d GB of memory","default":false,"kubespawner_override":{"image":"quay.io/org/image-%d:2024.01.0","node_selector":{"node.kubernetes.io/instance-type":"n2-highmem-4"},"mem_guarantee":"%dG","mem_limit":"%dG","cpu_guarantee":0.5,"cpu_limit":%d},"profile_options":{"image":{"display_name":"Image","choices":{"a":{"display_name":"Image A","default":true,"kubespawner_override":{"image":"quay.io/org/image-%d:2024.01.0"}},"b":{"display_name":"Image B","kubespawner_override":{"image":"quay.io/org/image-%d:2024.01.0"}}},"unlisted_choice":{"enabled":true,"display_name":"Other image","validation_regex":"^.+:.+$","validation_message":"name:tag","kubespawner_override":{"image":"{value}"}}}}}`,
			i, i, 2<<i, i%12, 1<<i, 2<<i, 1+i, i%12, (i+1)%12)
	}
	c.WriteString("]}")
	p.WriteString("]")
	return []byte(c.String()), []byte(p.String())
}

func appendContent(b testing.TB, s *Store, base int64) *Revision {
	catalog, profileList := content(int(base))
	r, err := s.Append(context.Background(), NewRevision{
		Base: base, Catalog: catalog, ProfileList: profileList,
		Author: "alice", Message: fmt.Sprintf("bump image-%d", base%12),
	})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkAppend measures one Append on SQLite: a write transaction and, with
// synchronous=FULL, an fsync of the WAL. The synchronous=NORMAL variant shows
// what that durability costs.
func BenchmarkAppend(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("sqlite-synchronous-"+sync, func(b *testing.B) {
			s := openStore(b, filepath.Join(b.TempDir(), "bench.db"))
			if sync != "FULL" {
				sqlDB, _ := s.db.DB()
				sqlDB.SetMaxOpenConns(1) // the pragma is per connection
				if err := s.db.Exec("PRAGMA synchronous = " + sync).Error; err != nil {
					b.Fatal(err)
				}
			}
			base := int64(0)
			for b.Loop() {
				base = appendContent(b, s, base).ID
			}
		})
	}
}

// BenchmarkHistory10k builds a 10,000-revision history on SQLite through
// Append, then measures reading the newest 50 (the history page), and
// reports the database size per revision and how long Verify takes.
func BenchmarkHistory10k(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "history.db")
	s := openStore(b, path)
	start := time.Now()
	var contentBytes int
	for base := int64(0); base < n; base++ {
		r := appendContent(b, s, base)
		contentBytes += len(r.Catalog) + len(r.ProfileList)
	}
	build := time.Since(start)
	if err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	rep, err := s.Verify(ctx)
	if err != nil || !rep.OK() || rep.Revisions != n {
		b.Fatalf("Verify = %+v, %v", rep, err)
	}
	verify := time.Since(start)

	for b.Loop() {
		page, err := s.List(ctx, 0, 50)
		if err != nil || len(page) != 50 || page[0].ID != n {
			b.Fatalf("List = %d revisions, %v", len(page), err)
		}
	}
	b.ReportMetric(float64(fi.Size())/n, "db-bytes/revision")
	b.ReportMetric(float64(contentBytes)/n, "content-bytes/revision")
	b.ReportMetric(float64(build.Microseconds())/n, "append-us/revision")
	b.ReportMetric(float64(verify.Milliseconds()), "verify-ms")
}
