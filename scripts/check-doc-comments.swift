// Fails, naming each, when a public declaration of MODULE has no doc comment of its own.
//     swift scripts/check-doc-comments.swift MODULE FILE.symbols.json ...
// scripts/docs runs it on the symbol graphs that DocC has just built. A declaration counts when
// the symbol graph has a location for it, that is when it is written in this package's sources
// (not compiler-synthesized members such as `hashValue`, nor a protocol extension's defaults),
// except extension blocks. It is documented when its doc comment is its own: one inherited from
// a protocol of another module does not count. A table of names shares one comment by being one
// declaration (`case tcp, udp` or `static let a = 1, b = 2`): the compiler gives every name in it
// that comment.
import Foundation

struct Failure: Error, CustomStringConvertible {
    var description: String
}

/// A symbol graph's symbol, as far as this check reads it.
struct Symbol: Decodable {
    struct Kind: Decodable {
        var identifier: String
        var displayName: String
    }
    struct DocComment: Decodable {
        struct Line: Decodable {
            var text: String
        }
        var module: String?
        var lines: [Line]
    }
    struct Location: Decodable {
        struct Position: Decodable {
            var line: Int
            var character: Int
        }
        var uri: String
        var position: Position
    }

    var kind: Kind
    var pathComponents: [String]
    var docComment: DocComment?
    var location: Location?
}

struct SymbolGraph: Decodable {
    var symbols: [Symbol]
}

func check(module: String, graphs: [String]) throws -> (checked: Int, undocumented: [String]) {
    guard !graphs.isEmpty else { throw Failure(description: "no symbol graphs given for \(module)") }
    let root = FileManager.default.currentDirectoryPath + "/"
    var checked = 0
    var undocumented = [(file: String, line: Int, text: String)]()
    var seen = Set<String>()
    for path in graphs {
        let graph: SymbolGraph
        do {
            graph = try JSONDecoder().decode(SymbolGraph.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw Failure(description: "\(path): not a readable symbol graph: \(error)")
        }
        for symbol in graph.symbols where symbol.kind.identifier != "swift.extension" {
            guard let location = symbol.location else { continue }
            var file = location.uri.hasPrefix("file://") ? String(location.uri.dropFirst("file://".count)) : location.uri
            file = file.removingPercentEncoding ?? file
            if file.hasPrefix(root) { file.removeFirst(root.count) }
            let line = location.position.line + 1
            let name = symbol.pathComponents.joined(separator: ".")
            let place = "\(file):\(line):\(location.position.character + 1)"
            guard seen.insert(place + name).inserted else { continue }
            checked += 1
            let own = symbol.docComment.map { comment in
                (comment.module == nil || comment.module == module)
                    && comment.lines.contains { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }
            } ?? false
            if !own {
                undocumented.append((file, line, "\(place): \(module): \(symbol.kind.displayName.lowercased()) \(name)"))
            }
        }
    }
    return (checked, undocumented.sorted { ($0.file, $0.line) < ($1.file, $1.line) }.map(\.text))
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let module = arguments.first else {
    FileHandle.standardError.write(Data("usage: swift scripts/check-doc-comments.swift MODULE FILE.symbols.json ...\n".utf8))
    exit(2)
}
do {
    let (checked, undocumented) = try check(module: module, graphs: Array(arguments.dropFirst()))
    for line in undocumented { print(line + " has no doc comment") }
    print("doc comments: \(module): \(undocumented.count) of \(checked) public declarations have none")
    exit(undocumented.isEmpty ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("doc comments: \(error)\n".utf8))
    exit(2)
}
