import Foundation

// MARK: - Pickle

/// Containers are shared references because pickle fills them after memoizing them (EMPTY_DICT, BINPUT, SETITEMS).
final class PickleDict { var pairs: [(key: PickleValue, value: PickleValue)] = [] }
final class PickleList { var items: [PickleValue] = [] }

enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Int)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(module: String, name: String)
    case storage(TorchStorage)
    case tensor(TorchTensor)
    /// A tensor this reader cannot build, and why (reported only if it is one of the state dict's values).
    case unreadableTensor(String)
    /// Anything else (an unknown global's result, a big integer): kept only to be skipped.
    case opaque(String)

    var summary: String {
        switch self {
        case .none: "None"
        case .bool(let value): "\(value)"
        case .int(let value): "the integer \(value)"
        case .float(let value): "the float \(value)"
        case .string(let value): "'\(value)'"
        case .bytes(let count): "\(count) bytes"
        case .tuple(let items): "a tuple of \(items.count)"
        case .list(let list): "a list of \(list.items.count)"
        case .dict(let dict): "a dict of \(dict.pairs.count)"
        case .global(let module, let name): "\(module).\(name)"
        case .storage(let storage): "a torch.\(storage.dtype.rawValue)"
        case .tensor: "a tensor"
        case .unreadableTensor: "an unreadable tensor"
        case .opaque(let what): what
        }
    }
}

/// A pickle virtual machine for the opcodes torch state dicts use; globals are interpreted, never imported.
struct Unpickler {
    let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func fail(_ what: String, at offset: Int) -> TorchCheckpointProblem {
        TorchCheckpointProblem("data.pkl is malformed: \(what) (at byte \(offset) of the pickle)")
    }

    private mutating func take(_ length: Int, for opcode: Int) throws -> UnsafeRawBufferPointer {
        guard length >= 0, length <= bytes.count - position else {
            throw fail("opcode 0x\(String(bytes[opcode], radix: 16)) needs \(length) bytes past the end of the pickle", at: opcode)
        }
        defer { position += length }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)])
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type, for opcode: Int) throws -> T {
        T(littleEndian: try take(MemoryLayout<T>.size, for: opcode).loadUnaligned(as: T.self))
    }

    private mutating func length<T: FixedWidthInteger>(_: T.Type, for opcode: Int) throws -> Int {
        let value = try integer(T.self, for: opcode)
        guard let length = Int(exactly: value), length >= 0 else { throw fail("length \(value) is out of range", at: opcode) }
        return length
    }

    private mutating func line(for opcode: Int) throws -> String {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
        guard position < bytes.count else { throw fail("GLOBAL's name is not terminated", at: opcode) }
        defer { position += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    private mutating func pop(at opcode: Int) throws -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw fail("opcode 0x\(String(bytes[opcode], radix: 16)) finds the stack empty", at: opcode)
        }
        return value
    }

    /// The values pushed since the last MARK, which is removed.
    private mutating func popToMark(at opcode: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("no MARK before opcode 0x\(String(bytes[opcode], radix: 16))", at: opcode) }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func top(at opcode: Int) throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else {
            throw fail("opcode 0x\(String(bytes[opcode], radix: 16)) finds the stack empty", at: opcode)
        }
        return value
    }

    private func string(_ buffer: UnsafeRawBufferPointer) -> PickleValue { .string(String(decoding: buffer, as: UTF8.self)) }

    mutating func load() throws -> PickleValue {
        while position < bytes.count {
            let start = position
            let opcode = bytes[position]
            position += 1
            switch opcode {
            case 0x80:  // PROTO
                let version = try integer(UInt8.self, for: start)
                guard version <= 5 else { throw fail("pickle protocol \(version) is newer than 5", at: start) }
            case 0x95:  // FRAME: a length hint only
                _ = try integer(UInt64.self, for: start)
            case UInt8(ascii: "."):  // STOP
                return try pop(at: start)
            case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case UInt8(ascii: "]"): stack.append(.list(PickleList()))  // EMPTY_LIST
            case UInt8(ascii: ")"): stack.append(.tuple([]))  // EMPTY_TUPLE
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: "0"): _ = try pop(at: start)  // POP
            case UInt8(ascii: "1"): _ = try popToMark(at: start)  // POP_MARK
            case UInt8(ascii: "2"): stack.append(try top(at: start))  // DUP
            case UInt8(ascii: "X"): stack.append(string(try take(try length(UInt32.self, for: start), for: start)))  // BINUNICODE
            case 0x8C: stack.append(string(try take(try length(UInt8.self, for: start), for: start)))  // SHORT_BINUNICODE
            case 0x8D: stack.append(string(try take(try length(UInt64.self, for: start), for: start)))  // BINUNICODE8
            case UInt8(ascii: "U"): stack.append(string(try take(try length(UInt8.self, for: start), for: start)))  // SHORT_BINSTRING
            case UInt8(ascii: "T"): stack.append(string(try take(try length(Int32.self, for: start), for: start)))  // BINSTRING
            case UInt8(ascii: "C"): stack.append(.bytes(try take(try length(UInt8.self, for: start), for: start).count))  // SHORT_BINBYTES
            case UInt8(ascii: "B"): stack.append(.bytes(try take(try length(UInt32.self, for: start), for: start).count))  // BINBYTES
            case 0x8E: stack.append(.bytes(try take(try length(UInt64.self, for: start), for: start).count))  // BINBYTES8
            case UInt8(ascii: "J"): stack.append(.int(Int(try integer(Int32.self, for: start))))  // BININT
            case UInt8(ascii: "K"): stack.append(.int(Int(try integer(UInt8.self, for: start))))  // BININT1
            case UInt8(ascii: "M"): stack.append(.int(Int(try integer(UInt16.self, for: start))))  // BININT2
            case 0x8A, 0x8B:  // LONG1, LONG4: little-endian two's complement of the given length
                let count = opcode == 0x8A ? try length(UInt8.self, for: start) : try length(Int32.self, for: start)
                let digits = try take(count, for: start)
                if count > 8 {
                    stack.append(.opaque("a \(count)-byte integer"))
                } else {
                    var value: UInt64 = 0
                    for (index, byte) in digits.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
                    if count > 0, count < 8, digits[count - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }  // sign-extend
                    stack.append(.int(Int(Int64(bitPattern: value))))
                }
            case UInt8(ascii: "G"):  // BINFLOAT: big-endian
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8, for: start).loadUnaligned(as: UInt64.self)))))
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case UInt8(ascii: "N"): stack.append(.none)  // NONE
            case UInt8(ascii: "t"): stack.append(.tuple(try popToMark(at: start)))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = []
                for _ in 0..<Int(opcode - 0x84) { items.insert(try pop(at: start), at: 0) }
                stack.append(.tuple(items))
            case UInt8(ascii: "l"):  // LIST
                let list = PickleList()
                list.items = try popToMark(at: start)
                stack.append(.list(list))
            case UInt8(ascii: "d"):  // DICT
                let dict = PickleDict()
                dict.pairs = try pairs(try popToMark(at: start), at: start)
                stack.append(.dict(dict))
            case UInt8(ascii: "q"): memo[Int(try integer(UInt8.self, for: start))] = try top(at: start)  // BINPUT
            case UInt8(ascii: "r"): memo[Int(try integer(UInt32.self, for: start))] = try top(at: start)  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top(at: start)  // MEMOIZE
            case UInt8(ascii: "h"), UInt8(ascii: "j"):  // BINGET, LONG_BINGET
                let index = opcode == UInt8(ascii: "h") ? Int(try integer(UInt8.self, for: start)) : Int(try integer(UInt32.self, for: start))
                guard let value = memo[index] else { throw fail("memo entry \(index) is fetched before it is stored", at: start) }
                stack.append(value)
            case UInt8(ascii: "c"):  // GLOBAL
                let module = try line(for: start)
                stack.append(.global(module: module, name: try line(for: start)))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(at: start), module = try pop(at: start)
                guard case .string(let moduleName) = module, case .string(let globalName) = name else {
                    throw fail("STACK_GLOBAL needs two strings", at: start)
                }
                stack.append(.global(module: moduleName, name: globalName))
            case UInt8(ascii: "R"):  // REDUCE
                let arguments = try pop(at: start), callable = try pop(at: start)
                guard case .tuple(let items) = arguments else { throw fail("REDUCE's arguments are \(arguments.summary), not a tuple", at: start) }
                stack.append(Self.call(callable, items))
            case 0x81, 0x92:  // NEWOBJ, NEWOBJ_EX: cls.__new__(cls, *args)
                if opcode == 0x92 { _ = try pop(at: start) }  // kwargs
                _ = try pop(at: start)
                let cls = try pop(at: start)
                if case .global("collections", "OrderedDict") = cls { stack.append(.dict(PickleDict())) } else { stack.append(.opaque("an instance of \(cls.summary)")) }
            case UInt8(ascii: "b"):  // BUILD: object state (an OrderedDict's `_metadata`): not needed
                _ = try pop(at: start)
                _ = try top(at: start)
            case UInt8(ascii: "s"):  // SETITEM
                let value = try pop(at: start), key = try pop(at: start)
                if case .dict(let dict) = try top(at: start) { dict.pairs.append((key, value)) }
            case UInt8(ascii: "u"):  // SETITEMS
                let items = try popToMark(at: start)
                if case .dict(let dict) = try top(at: start) { dict.pairs.append(contentsOf: try pairs(items, at: start)) }
            case UInt8(ascii: "a"):  // APPEND
                let value = try pop(at: start)
                if case .list(let list) = try top(at: start) { list.items.append(value) }
            case UInt8(ascii: "e"):  // APPENDS
                let items = try popToMark(at: start)
                if case .list(let list) = try top(at: start) { list.items.append(contentsOf: items) }
            case UInt8(ascii: "Q"):  // BINPERSID: torch's storage references
                stack.append(Self.persistentLoad(try pop(at: start)))
            default:
                throw fail("opcode 0x\(String(opcode, radix: 16)) is not one torch state dicts use", at: start)
            }
        }
        throw fail("the pickle ends without STOP", at: position)
    }

    private func pairs(_ items: [PickleValue], at opcode: Int) throws -> [(key: PickleValue, value: PickleValue)] {
        guard items.count.isMultiple(of: 2) else { throw fail("SETITEMS has an odd number of values", at: opcode) }
        return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    /// `('storage', torch.FloatStorage, key, location, numel)`, as torch.save's persistent_id writes.
    private static func persistentLoad(_ id: PickleValue) -> PickleValue {
        guard case .tuple(let fields) = id, fields.count >= 5, case .string("storage") = fields[0] else {
            return .opaque("the persistent object \(id.summary)")
        }
        guard case .global(let module, let name) = fields[1], module == "torch", let dtype = TorchDType(rawValue: name) else {
            return .opaque(fields[1].summary)
        }
        guard case .string(let key) = fields[2], case .int(let count) = fields[4], count >= 0 else {
            return .opaque("a malformed storage reference")
        }
        return .storage(TorchStorage(dtype: dtype, key: key, count: count))
    }

    /// The globals a state dict calls, evaluated without Python; all others give an opaque value.
    private static func call(_ callable: PickleValue, _ arguments: [PickleValue]) -> PickleValue {
        guard case .global(let module, let name) = callable else { return .opaque("the result of calling \(callable.summary)") }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"):
            let dict = PickleDict()
            // OrderedDict([(key, value), ...]) is possible; torch passes () and fills it with SETITEMS.
            if case .list(let list)? = arguments.first {
                for item in list.items { if case .tuple(let pair) = item, pair.count == 2 { dict.pairs.append((pair[0], pair[1])) } }
            }
            return .dict(dict)
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            return rebuildTensor(arguments)
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = arguments.first else { return .unreadableTensor("_rebuild_parameter has no arguments") }
            switch data {
            case .tensor, .unreadableTensor: return data
            default: return .unreadableTensor("the parameter wraps \(data.summary), not a tensor")
            }
        case ("torch._tensor", "_rebuild_from_type_v2"), ("torch._tensor", "_rebuild_from_type"):
            // A tensor subclass: (func, type, args, state); the data is what func builds from args.
            guard arguments.count >= 3, case .tuple(let inner) = arguments[2] else { return .unreadableTensor("\(name) has malformed arguments") }
            return call(arguments[0], inner)
        case ("torch", "Size"):
            return arguments.first ?? .tuple([])
        case ("torch._utils", "_rebuild_tensor_v3"):
            let dtype = arguments.count > 6 ? arguments[6].summary : "an unknown dtype"
            return .unreadableTensor("its dtype \(dtype) is stored as an untyped storage (torch._utils._rebuild_tensor_v3), which this reader does not support; it reads float32/16/64, bfloat16, int64/32/16/8, uint8 and bool")
        default:
            if module.hasPrefix("torch"), name.hasPrefix("_rebuild") {
                return .unreadableTensor("it is rebuilt by \(module).\(name) (a quantized, sparse, nested, meta or device-specific tensor), which this reader does not support")
            }
            return .opaque("the result of \(module).\(name)")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private static func rebuildTensor(_ arguments: [PickleValue]) -> PickleValue {
        guard arguments.count >= 4 else { return .unreadableTensor("_rebuild_tensor_v2 has \(arguments.count) arguments instead of at least 4") }
        guard case .storage(let storage) = arguments[0] else {
            return .unreadableTensor("its storage is \(arguments[0].summary); this reader reads torch's Float, Half, BFloat16, Double, Long, Int, Short, Char, Byte and Bool storages")
        }
        guard case .int(let offset) = arguments[1], let shape = integers(arguments[2]), let strides = integers(arguments[3]) else {
            return .unreadableTensor("its storage offset, size or stride is malformed")
        }
        return .tensor(TorchTensor(storage: storage, offset: offset, shape: shape, strides: strides))
    }

    private static func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let number) = item else { return nil }
            result.append(number)
        }
        return result
    }
}
