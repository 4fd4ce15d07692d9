package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"poolkit/reference/pool"
)

// Column encodings. Times are Unix nanoseconds (NULL for the zero time) and come back in
// UTC without a monotonic reading; slices are JSON (NULL for nil, so that nil and empty
// both come back as they went in); booleans are 0/1.

// errTimeRange is returned for a time that Unix nanoseconds cannot hold.
var errTimeRange = errors.New("sqlite: time outside the years 1678–2262")

// encoder turns record fields into column values and remembers the first field it
// could not encode.
type encoder struct{ err error }

// time returns t as a column value: nil for the zero time, else Unix nanoseconds.
func (e *encoder) time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	ns := t.UnixNano()
	if !time.Unix(0, ns).Equal(t) {
		e.fail(fmt.Errorf("%w: %v", errTimeRange, t))
	}
	return ns
}

// strings returns s as a column value: nil for a nil slice, else its JSON text.
func (e *encoder) strings(s []string) any {
	if s == nil {
		return nil
	}
	b, err := json.Marshal(s)
	e.fail(err)
	return string(b)
}

func (e *encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// outcomes returns delivery outcomes as '1' (delivered) and '0' (failed), nil for nil.
func outcomes(o []bool) any {
	if o == nil {
		return nil
	}
	b := make([]byte, len(o))
	for i, ok := range o {
		b[i] = '0'
		if ok {
			b[i] = '1'
		}
	}
	return string(b)
}

// decoder turns column values back into record fields and remembers the first it could
// not decode.
type decoder struct{ err error }

func (d *decoder) time(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func (d *decoder) strings(s sql.NullString) []string {
	if !s.Valid {
		return nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s.String), &out); err != nil && d.err == nil {
		d.err = fmt.Errorf("sqlite: decode string list: %w", err)
	}
	if out == nil {
		out = []string{} // "[]" stays empty, not nil
	}
	return out
}

func (d *decoder) outcomes(s sql.NullString) []bool {
	if !s.Valid {
		return nil
	}
	out := make([]bool, len(s.String))
	for i := range len(s.String) {
		out[i] = s.String[i] == '1'
	}
	return out
}

func (d *decoder) hash(b []byte) [32]byte {
	var h [32]byte
	if len(b) != len(h) && d.err == nil {
		d.err = fmt.Errorf("sqlite: a hash of %d bytes", len(b))
	}
	copy(h[:], b)
	return h
}

// wrrSlot is the JSON form of a pool.WRRSlot.
type wrrSlot struct {
	A string `json:"a"`
	W int    `json:"w"`
	C int    `json:"c"`
}

func encodeWRR(slots []pool.WRRSlot) (any, error) {
	if slots == nil {
		return nil, nil
	}
	out := make([]wrrSlot, len(slots))
	for i, s := range slots {
		out[i] = wrrSlot{s.AllocationID, s.Weight, s.Current}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func decodeWRR(s sql.NullString) ([]pool.WRRSlot, error) {
	if !s.Valid {
		return nil, nil
	}
	var in []wrrSlot
	if err := json.Unmarshal([]byte(s.String), &in); err != nil {
		return nil, fmt.Errorf("sqlite: decode WRR slots: %w", err)
	}
	out := make([]pool.WRRSlot, len(in))
	for i, s := range in {
		out[i] = pool.WRRSlot{AllocationID: s.A, Weight: s.W, Current: s.C}
	}
	return out, nil
}

// notFound maps database/sql's ErrNoRows to pool.ErrNotFound, returned as is because
// the engine compares with ==.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return pool.ErrNotFound
	}
	return err
}
