package mem_test

import (
	"testing"

	"poolkit/reference/pool"
	"poolkit/reference/store/mem"
	"poolkit/reference/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) pool.Store { return mem.New() })
}
