package main

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

// Resource is one decoded xDS resource of one group (proxy snapshot).
type Resource struct {
	TypeURL string
	Type    string // CDS, EDS, LDS, RDS, SDS
	Name    string
	Group   string
	Message proto.Message
}

// shortTypes are the five xDS types an ADS stream carries, by type URL.
var shortTypes = map[string]string{
	"type.googleapis.com/envoy.config.cluster.v3.Cluster":                  "CDS",
	"type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment":   "EDS",
	"type.googleapis.com/envoy.config.listener.v3.Listener":                "LDS",
	"type.googleapis.com/envoy.config.route.v3.RouteConfiguration":         "RDS",
	"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret": "SDS",
}

func decodeResource(typeURL string, value []byte, group string) (*Resource, error) {
	short, ok := shortTypes[typeURL]
	if !ok {
		return nil, fmt.Errorf("typeUrl %q is not one of the five xDS resource types", typeURL)
	}
	msg, err := anypb.UnmarshalNew(&anypb.Any{TypeUrl: typeURL, Value: value}, proto.UnmarshalOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: bytes do not decode: %v", short, err)
	}
	name := ""
	if f := msg.ProtoReflect().Descriptor().Fields().ByName("name"); f != nil {
		name = msg.ProtoReflect().Get(f).String()
	} else if f := msg.ProtoReflect().Descriptor().Fields().ByName("cluster_name"); f != nil {
		name = msg.ProtoReflect().Get(f).String()
	}
	return &Resource{TypeURL: typeURL, Type: short, Name: name, Group: group, Message: msg}, nil
}

// validateResource runs ValidateAll on the resource and on every message packed in an Any
// anywhere inside it: protoc-gen-validate's generated code checks an Any's type URL but never
// looks inside, while Envoy validates each typed config when it instantiates the extension.
func validateResource(res *Resource) []Violation {
	var out []Violation
	add := func(field, rule, message string) {
		out = append(out, Violation{Group: res.Group, Type: res.Type, Name: res.Name, Field: field, Rule: rule, Message: message})
	}
	validateMessage(res.Message, "", add)
	walkAnys(res.Message.ProtoReflect(), "", func(path string, a *anypb.Any) {
		inner, err := a.UnmarshalNew()
		if err != nil {
			if errors.Is(err, protoregistry.NotFound) && istioProxyExtensions[a.GetTypeUrl()] {
				return
			}
			if errors.Is(err, protoregistry.NotFound) {
				add(path, "any.known_type", fmt.Sprintf("type %s is not an extension go-control-plane knows, so Envoy cannot instantiate it", a.GetTypeUrl()))
			} else {
				add(path, "any.decodes", fmt.Sprintf("%s bytes do not decode: %v", a.GetTypeUrl(), err))
			}
			return
		}
		validateMessage(inner, path, add)
	})
	return out
}

// validateMessage adds each ValidateAll violation of m, with its field path under prefix.
func validateMessage(m proto.Message, prefix string, add func(field, rule, message string)) {
	v, ok := m.(interface{ ValidateAll() error })
	if !ok {
		return
	}
	if err := v.ValidateAll(); err != nil {
		flatten(err, prefix, add)
	}
}

// pgvError is the shape of every protoc-gen-validate error type.
type pgvError interface {
	Field() string
	Reason() string
	Cause() error
}

// flatten turns PGV's nested errors (each embedded message wraps its own MultiError) into one
// violation per broken rule with the full field path in proto (snake_case) names.
func flatten(err error, prefix string, add func(field, rule, message string)) {
	if multi, ok := err.(interface{ AllErrors() []error }); ok {
		for _, e := range multi.AllErrors() {
			flatten(e, prefix, add)
		}
		return
	}
	var pe pgvError
	if !errors.As(err, &pe) {
		add(prefix, "validate", err.Error())
		return
	}
	path := joinPath(prefix, snakePath(pe.Field()))
	if pe.Cause() != nil && pe.Reason() == "embedded message failed validation" {
		flatten(pe.Cause(), path, add)
		return
	}
	message := pe.Reason()
	if pe.Cause() != nil {
		message += ": " + pe.Cause().Error()
	}
	// The PGV error type names the message, not the rule; the reason says which rule failed.
	add(path, "protoc-gen-validate", message)
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	}
	return prefix + "." + field
}

// snakePath turns PGV's Go field names ("FilterChains[0]") into proto names ("filter_chains[0]").
func snakePath(field string) string {
	var b strings.Builder
	inKey := false
	for i, r := range field {
		switch {
		case r == '[':
			inKey = true
		case r == ']':
			inKey = false
		case !inKey && unicode.IsUpper(r):
			if i > 0 && field[i-1] != '.' && field[i-1] != '[' {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// walkAnys calls visit for every populated google.protobuf.Any inside m (at any depth, including
// inside other Anys), with its proto field path.
func walkAnys(m protoreflect.Message, path string, visit func(string, *anypb.Any)) {
	walkMessages(m, path, func(p string, msg protoreflect.Message) bool {
		a, ok := msg.Interface().(*anypb.Any)
		if !ok {
			return true
		}
		visit(p, a)
		if inner, err := a.UnmarshalNew(); err == nil {
			walkAnys(inner.ProtoReflect(), p, visit)
		}
		return false
	})
}

// walkMessages visits every populated message field of m depth-first; visit returns whether to
// descend into the message it was given. Any contents are not unpacked here.
func walkMessages(m protoreflect.Message, path string, visit func(string, protoreflect.Message) bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		name := joinPath(path, string(fd.Name()))
		switch {
		case fd.IsList():
			list := v.List()
			for i := 0; i < list.Len(); i++ {
				p := fmt.Sprintf("%s[%d]", name, i)
				if visit(p, list.Get(i).Message()) {
					walkMessages(list.Get(i).Message(), p, visit)
				}
			}
		case fd.IsMap():
			if fd.MapValue().Kind() != protoreflect.MessageKind {
				return true
			}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				p := fmt.Sprintf("%s[%s]", name, k.String())
				if visit(p, mv.Message()) {
					walkMessages(mv.Message(), p, visit)
				}
				return true
			})
		default:
			if visit(name, v.Message()) {
				walkMessages(v.Message(), name, visit)
			}
		}
		return true
	})
}

// eachMessage visits every message inside m, unpacking Anys, with its path; used by the
// cross-resource checks to find references wherever Envoy would read them.
func eachMessage(m protoreflect.Message, path string, visit func(string, protoreflect.Message)) {
	visit(path, m)
	walkMessages(m, path, func(p string, msg protoreflect.Message) bool {
		if a, ok := msg.Interface().(*anypb.Any); ok {
			if inner, err := a.UnmarshalNew(); err == nil {
				eachMessage(inner.ProtoReflect(), p, visit)
			}
			return false
		}
		visit(p, msg)
		return true
	})
}
