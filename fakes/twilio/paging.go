package twilio

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Paging parameters of Twilio's 2010-04-01 list routes, and their bounds.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// pageMeta are the paging fields of a 2010-04-01 list response, beside the list itself.
// next_page_uri is null on the last page, previous_page_uri on the first.
type pageMeta struct {
	End             int     `json:"end"`
	FirstPageURI    string  `json:"first_page_uri"`
	NextPageURI     *string `json:"next_page_uri"`
	Page            int     `json:"page"`
	PageSize        int     `json:"page_size"`
	PreviousPageURI *string `json:"previous_page_uri"`
	Start           int     `json:"start"`
	URI             string  `json:"uri"`
}

// paginate cuts the page the request asks for out of sids (every matching item, in list
// order) as Twilio does: PageSize (1…1000, default 50), Page (default 0) and PageToken,
// which is "PA" then the SID of the last item of the previous page, or "PB" then the SID
// of the first item of the next page. It returns the bounds [from, to) of the page in
// sids and the paging fields; filters are the list's filter parameters, kept in the URIs.
func paginate(r *http.Request, sids []string, filters url.Values) (from, to int, meta pageMeta, e *apiError) {
	q := r.URL.Query()
	size := defaultPageSize
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, meta, newError(http.StatusBadRequest, CodeInvalidParameter, "Invalid PageSize %q", v)
		}
		size = min(n, maxPageSize)
	}
	page := 0
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, meta, newError(http.StatusBadRequest, CodeInvalidParameter, "Invalid Page %q", v)
		}
		page = n
	}
	token := q.Get("PageToken")
	switch {
	case token == "":
		from = page * size
	case strings.HasPrefix(token, "PA") && slices.Contains(sids, token[2:]):
		from = slices.Index(sids, token[2:]) + 1
	case strings.HasPrefix(token, "PB") && slices.Contains(sids, token[2:]):
		from = max(0, slices.Index(sids, token[2:])-size)
	default:
		return 0, 0, meta, newError(http.StatusBadRequest, CodeInvalidParameter, "Invalid PageToken %q", token)
	}
	from = min(from, len(sids))
	to = min(from+size, len(sids))

	uri := func(page int, token string) string {
		v := url.Values{}
		for k, vs := range filters {
			v[k] = vs
		}
		var b strings.Builder
		b.WriteString(r.URL.Path)
		b.WriteByte('?')
		if enc := v.Encode(); enc != "" {
			b.WriteString(enc)
			b.WriteByte('&')
		}
		b.WriteString("PageSize=" + strconv.Itoa(size) + "&Page=" + strconv.Itoa(page))
		if token != "" {
			b.WriteString("&PageToken=" + url.QueryEscape(token))
		}
		return b.String()
	}
	meta = pageMeta{
		Start:        from,
		End:          max(from, to-1),
		Page:         page,
		PageSize:     size,
		FirstPageURI: uri(0, ""),
		URI:          uri(page, token),
	}
	if to < len(sids) {
		next := uri(page+1, "PA"+sids[to-1])
		meta.NextPageURI = &next
	}
	if from > 0 && page > 0 {
		prevToken := ""
		if from < len(sids) {
			prevToken = "PB" + sids[from]
		}
		prev := uri(page-1, prevToken)
		meta.PreviousPageURI = &prev
	}
	return from, to, meta, nil
}
