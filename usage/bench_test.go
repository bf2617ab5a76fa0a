package usage_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/usage"
)

// BenchmarkHubServers measures one read of a real JupyterHub 3.0 with
// 2000 users (4 of them with servers), in pages of 200 and of 50, beside
// the hub's own cost of the same pages of users without their servers
// (what any client of the user list pays). docs/benchmarks.md has the figures.
func BenchmarkHubServers(b *testing.B) {
	h := testhub.StartWithServers(b, "hubprofiles", "http://127.0.0.1:9", usage.Scopes...)
	names := make([]string, 1996)
	for i := range names {
		names[i] = fmt.Sprintf("user-%04d", i)
	}
	h.AddUsers(b, names...)
	h.UseServers(b)
	ctx := context.Background()
	for _, size := range []int{200, 50} {
		b.Run(fmt.Sprintf("pages of %d", size), func(b *testing.B) {
			hub := &usage.Hub{APIURL: h.APIURL, Token: h.ServiceToken, PageSize: size}
			for b.Loop() {
				servers, err := hub.Servers(ctx)
				if err != nil || len(servers) != 4 {
					b.Fatalf("%d servers, %v", len(servers), err)
				}
			}
		})
	}
	b.Run("reference: the same pages of 200, without servers", func(b *testing.B) {
		for b.Loop() {
			for offset := 0; offset < 2000; offset += 200 {
				req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/users?offset=%d&limit=200", h.APIURL, offset), nil)
				req.Header.Set("Authorization", "token "+h.ServiceToken)
				req.Header.Set("Accept", "application/jupyterhub-pagination+json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%v %v", resp, err)
				}
				resp.Body.Close()
			}
		}
	})
}
