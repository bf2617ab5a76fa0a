package registry_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/registry"
)

// BenchmarkCheck50 checks 50 images of the local registry: with CheckAll
// and a new Checker each time ("cold"), with CheckAll and a warm cache
// ("warm"), and one after another with a new Checker each time
// ("sequential-cold", for reference). One op is all 50 images.
func BenchmarkCheck50(b *testing.B) {
	h := testregistry.Shared(b).Host
	refs := make([]string, 50)
	for i := range refs {
		tag := fmt.Sprintf("1.%d", i)
		testregistry.Push(b, h, "bench/app", tag)
		refs[i] = h + "/bench/app:" + tag
	}
	ctx := context.Background()
	opts := registry.Options{Hosts: []registry.Host{{Name: h, Insecure: true}}}
	newChecker := func(b *testing.B) *registry.Checker {
		c, err := registry.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	all := func(b *testing.B, c *registry.Checker) {
		res := c.CheckAll(ctx, refs)
		for _, r := range refs {
			if res[r].Status != registry.Exists {
				b.Fatalf("%s: %+v", r, res[r])
			}
		}
	}

	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			all(b, newChecker(b))
		}
	})
	b.Run("warm", func(b *testing.B) {
		c := newChecker(b)
		all(b, c)
		for b.Loop() {
			all(b, c)
		}
	})
	b.Run("sequential-cold", func(b *testing.B) {
		for b.Loop() {
			c := newChecker(b)
			for _, r := range refs {
				if res := c.Check(ctx, r); res.Status != registry.Exists {
					b.Fatalf("%s: %+v", r, res)
				}
			}
		}
	})
}
