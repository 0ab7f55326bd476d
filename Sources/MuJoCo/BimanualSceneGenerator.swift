import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Builds one MJCF scene from a layout file and an arm file included several times with name
/// prefixes, because MuJoCo 2.2 has neither `attach` nor include prefixes.
///
/// The arm file stays the single source of truth for the arm. For each prefix `P` the arm's
/// `<worldbody>` bodies go into the layout's body named `P` + `mount` (e.g. `left_mount`), and
/// its `<tendon>`, `<equality>`, `<actuator>`, `<contact>` and `<sensor>` entries are appended;
/// in all of them the attributes that name or reference model elements (``renamedAttributes``)
/// are prefixed. The arm's `<default>` classes and `<asset>` entries are added once, unprefixed.
/// Each layout keyframe becomes: the arm's keyframe of the same name once per prefix, then the
/// layout's own qpos, which requires the mount bodies to precede every jointed body of the
/// layout (checked).
///
/// Runs once at start-up; allocates freely. Throws ``MuJoCoError/Kind/load`` naming the file
/// and what is wrong.
public struct BimanualSceneGenerator: Sendable {
    /// The layout: scene without arms, with one empty mount body per prefix.
    public let layout: URL
    /// The arm model included once per prefix.
    public let arm: URL
    /// Name prefixes, one arm each, e.g. `["left_", "right_"]`.
    public let prefixes: [String]

    /// Attributes whose values name or refer to elements and so get the prefix. Class,
    /// material, mesh and texture names are shared and left alone.
    public static let renamedAttributes: Set<String> = [
        "name", "joint", "joint1", "joint2", "body", "body1", "body2", "geom", "geom1", "geom2",
        "site", "tendon", "tendon1", "tendon2", "target", "objname", "refname", "slidersite",
        "cranksite", "refsite", "actuator", "camera", "jointinparent",
    ]

    /// Sections whose entries are copied once per prefix, with renamed attributes.
    static let perArmSections = ["tendon", "equality", "actuator", "contact", "sensor"]
    /// Sections whose entries are copied once, unchanged.
    static let sharedSections = ["default", "asset"]

    public init(layout: URL, arm: URL, prefixes: [String]) {
        self.layout = layout
        self.arm = arm
        self.prefixes = prefixes
    }

    /// The assembled MJCF text.
    public func xml() throws(MuJoCoError) -> String {
        let scene = try Self.parse(layout)
        let armDocument = try Self.parse(arm)
        guard let sceneRoot = scene.rootElement(), let armRoot = armDocument.rootElement() else {
            throw MuJoCoError(.load, message: "no root element", operation: "generate scene from \(layout.path)")
        }
        try checkCompilerSettingsMatch(scene: sceneRoot, arm: armRoot)

        for section in Self.sharedSections {
            for child in Self.elements(armRoot, section).flatMap(Self.childElements) {
                Self.section(section, in: sceneRoot).addChild(child.copy() as! XMLNode)
            }
        }

        let sceneWorld = Self.elements(sceneRoot, "worldbody")
        let armBodies = Self.elements(armRoot, "worldbody").flatMap(Self.childElements).filter { $0.name == "body" }
        guard !armBodies.isEmpty else {
            throw MuJoCoError(.load, message: "no <body> in <worldbody>", operation: "generate scene from \(arm.path)")
        }
        for prefix in prefixes {
            let mountName = prefix + "mount"
            guard let mount = sceneWorld.lazy.compactMap({ Self.body(named: mountName, under: $0) }).first else {
                throw MuJoCoError(.load, message: "no body named '\(mountName)' to hold the \(prefix) arm", operation: "generate scene from \(layout.path)")
            }
            for body in armBodies {
                let copy = body.copy() as! XMLElement
                Self.prefixNames(in: copy, with: prefix)
                mount.addChild(copy)
            }
            for section in Self.perArmSections {
                for child in Self.elements(armRoot, section).flatMap(Self.childElements) {
                    let copy = child.copy() as! XMLElement
                    Self.prefixNames(in: copy, with: prefix)
                    Self.section(section, in: sceneRoot).addChild(copy)
                }
            }
        }
        try checkMountsPrecedeJoints(sceneWorld)
        try composeKeyframes(scene: sceneRoot, arm: armRoot)
        return scene.xmlString(options: [.nodePrettyPrint])
    }

    // MARK: Steps

    private func checkCompilerSettingsMatch(scene: XMLElement, arm: XMLElement) throws(MuJoCoError) {
        // Angles and limits must be read the same way in both files, or the arm changes meaning.
        for attribute in ["angle", "autolimits", "eulerseq", "coordinate"] {
            let sceneValue = Self.elements(scene, "compiler").last?.attribute(forName: attribute)?.stringValue
            let armValue = Self.elements(arm, "compiler").last?.attribute(forName: attribute)?.stringValue
            guard sceneValue == armValue else {
                throw MuJoCoError(
                    .load,
                    message: "<compiler \(attribute)> is \(armValue ?? "unset") in \(self.arm.lastPathComponent) but \(sceneValue ?? "unset") in \(layout.lastPathComponent)",
                    operation: "generate scene from \(layout.path)")
            }
        }
    }

    private func checkMountsPrecedeJoints(_ worlds: [XMLElement]) throws(MuJoCoError) {
        var sawJointOutsideMounts = false
        for world in worlds {
            for body in Self.childElements(world) where body.name == "body" {
                let name = body.attribute(forName: "name")?.stringValue ?? ""
                let isMount = prefixes.contains { name == $0 + "mount" }
                if isMount && sawJointOutsideMounts {
                    throw MuJoCoError(.load, message: "mount body '\(name)' must come before every body with a joint (keyframe order)", operation: "generate scene from \(layout.path)")
                }
                if !isMount && Self.containsJoint(body) { sawJointOutsideMounts = true }
            }
        }
    }

    private func composeKeyframes(scene: XMLElement, arm: XMLElement) throws(MuJoCoError) {
        let armKeys = Self.elements(arm, "keyframe").flatMap(Self.childElements).filter { $0.name == "key" }
        for key in Self.elements(scene, "keyframe").flatMap(Self.childElements) where key.name == "key" {
            let name = key.attribute(forName: "name")?.stringValue ?? ""
            guard let armKey = armKeys.first(where: { $0.attribute(forName: "name")?.stringValue == name }),
                let armQpos = armKey.attribute(forName: "qpos")?.stringValue
            else {
                throw MuJoCoError(.load, message: "layout keyframe '\(name)' has no keyframe of that name with qpos in \(self.arm.lastPathComponent)", operation: "generate scene from \(layout.path)")
            }
            let ownQpos = key.attribute(forName: "qpos")?.stringValue ?? ""
            let qpos = (Array(repeating: armQpos, count: prefixes.count) + [ownQpos])
                .map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
                .joined(separator: "  ")
            key.addAttribute(XMLNode.attribute(withName: "qpos", stringValue: qpos) as! XMLNode)
        }
    }

    // MARK: XML helpers

    private static func parse(_ url: URL) throws(MuJoCoError) -> XMLDocument {
        do {
            return try XMLDocument(contentsOf: url, options: [])
        } catch {
            throw MuJoCoError(.load, message: "\(error)", operation: "parse \(url.path)")
        }
    }

    static func childElements(_ element: XMLElement) -> [XMLElement] {
        (element.children ?? []).compactMap { $0 as? XMLElement }
    }

    static func elements(_ root: XMLElement, _ name: String) -> [XMLElement] {
        childElements(root).filter { $0.name == name }
    }

    /// The root's first section called `name`, created at the end if there is none.
    static func section(_ name: String, in root: XMLElement) -> XMLElement {
        if let existing = elements(root, name).first { return existing }
        let created = XMLElement(name: name)
        root.addChild(created)
        return created
    }

    static func body(named name: String, under element: XMLElement) -> XMLElement? {
        for child in childElements(element) where child.name == "body" {
            if child.attribute(forName: "name")?.stringValue == name { return child }
            if let found = body(named: name, under: child) { return found }
        }
        return nil
    }

    static func containsJoint(_ element: XMLElement) -> Bool {
        childElements(element).contains { $0.name == "joint" || $0.name == "freejoint" || containsJoint($0) }
    }

    static func prefixNames(in element: XMLElement, with prefix: String) {
        for attribute in element.attributes ?? [] {
            guard let name = attribute.name, renamedAttributes.contains(name),
                let value = attribute.stringValue, !value.isEmpty
            else { continue }
            attribute.stringValue = prefix + value
        }
        for child in childElements(element) { prefixNames(in: child, with: prefix) }
    }
}
