package sim

// fifo is a growable ring buffer. Delivery outcomes and replies come back a fixed delay
// after their send, so each queue is in time order and needs no heap.
type fifo[T any] struct {
	buf  []T
	head int
	n    int
}

func (q *fifo[T]) push(v T) {
	if q.n == len(q.buf) {
		next := make([]T, max(2*len(q.buf), 64))
		for i := 0; i < q.n; i++ {
			next[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = next, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = v
	q.n++
}

func (q *fifo[T]) peek() *T { return &q.buf[q.head] }

func (q *fifo[T]) pop() T {
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return v
}

func (q *fifo[T]) len() int { return q.n }
