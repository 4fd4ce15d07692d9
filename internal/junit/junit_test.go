package junit_test

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"poolkit/internal/junit"
)

func TestWrite(t *testing.T) {
	var s junit.Suite
	s.Name = "rules"
	s.Add(junit.Case{Name: "ok", Classname: "c", Time: junit.Seconds(1500 * time.Millisecond)})
	s.Add(junit.Case{Name: "bad", Classname: "c", Failure: &junit.Message{Message: "broken", Text: "a < b & c"}})
	s.Add(junit.Case{Name: "later", Classname: "c", Skipped: &junit.Message{Message: "needs inbound"}})
	var b bytes.Buffer
	require.NoError(t, junit.Suites{Name: "x", Suites: []junit.Suite{s}}.Write(&b))
	var back junit.Suites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, 3, back.Tests)
	assert.Equal(t, 1, back.Failures)
	assert.Equal(t, 1, back.Skipped)
	assert.Equal(t, "a < b & c", back.Suites[0].Cases[1].Failure.Text)
	assert.Equal(t, "1.500", back.Suites[0].Cases[0].Time)
}
