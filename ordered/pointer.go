package ordered

import (
	"fmt"
	"strconv"
	"strings"
)

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Pointer builds a JSON pointer (RFC 6901) from object keys and array
// indexes, escaping ~ and / in keys. No parts is the whole document ("").
func Pointer(parts ...any) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteByte('/')
		switch t := p.(type) {
		case int:
			b.WriteString(strconv.Itoa(t))
		case string:
			b.WriteString(pointerEscaper.Replace(t))
		default:
			b.WriteString(fmt.Sprint(t))
		}
	}
	return b.String()
}
