package dev.sparktune.preprocess.template.jinja;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Calls of the str, dict and list methods chat templates use, looked up in {@link StrMethods}, ... by receiver. */
final class PyMethods {
    /** Mutating methods the immutable sandbox refuses. */
    static final Set<String> UNSAFE_METHODS = Set.of(
            "append",
            "extend",
            "insert",
            "pop",
            "remove",
            "clear",
            "sort",
            "reverse",
            "update",
            "setdefault",
            "popitem");

    /** A method of receivers of type {@code T}; {@code args} are named after the method. */
    @FunctionalInterface
    interface PyMethod<T> {
        Object call(T receiver, Args args);
    }

    private PyMethods() {}

    /** A method bound to its receiver, as {@code getattr(obj, name)} gives. */
    record BoundMethod(Object receiver, String name) implements PyCallable {
        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            return PyMethods.call(receiver, name, new Args(name, args, kwargs));
        }

        @Override
        public String toString() {
            return "<built-in method " + name + " of " + Py.typeName(receiver) + " object>";
        }
    }

    private static Object call(Object receiver, String name, Args a) {
        if (receiver instanceof String s && StrMethods.METHODS.containsKey(name)) {
            return StrMethods.METHODS.get(name).call(s, a);
        }
        if (receiver instanceof Map<?, ?> m && DictMethods.METHODS.containsKey(name)) {
            return DictMethods.METHODS.get(name).call(m, a);
        }
        if (receiver instanceof List<?> l && ListMethods.METHODS.containsKey(name)) {
            return ListMethods.METHODS.get(name).call(l, a);
        }
        if (UNSAFE_METHODS.contains(name)) {
            throw new PyError("SecurityError: access to the mutating method '" + name + "' of a "
                    + Py.typeName(receiver) + " is refused by the immutable sandbox");
        }
        throw new PyError("AttributeError: '" + Py.typeName(receiver) + "' object has no attribute '" + name + "'");
    }
}
