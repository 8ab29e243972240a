//! The vocabulary: which BPMN elements and extension attributes the engine executes, which
//! it accepts and ignores (they mean nothing to a run), and which it refuses, with the reason
//! in Vietnamese. Anything not listed is refused: correct or refused, never run wrongly.

/// Camunda 7 (Camunda Modeler, bpmn.io's Camunda flavour).
pub(crate) const CAMUNDA_NS: &str = "http://camunda.org/schema/1.0/bpmn";
/// Camunda 8 (Zeebe).
pub(crate) const ZEEBE_NS: &str = "http://camunda.org/schema/zeebe/1.0";
/// The BPMN 2.0 model namespace.
pub(crate) const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";

/// Whose attribute or element a namespace says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// BPMN itself, or no namespace (cqdt's own bare attributes too).
    Bpmn,
    /// cqdt's extension namespace (any URI naming cqdt: the demo and the tests use two).
    Cqdt,
    /// Camunda 7.
    Camunda,
    /// Camunda 8.
    Zeebe,
    /// Anything else.
    Other,
}

/// The dialect of a namespace URI.
pub(crate) fn dialect(ns: Option<&str>) -> Dialect {
    match ns {
        None | Some(BPMN_NS) => Dialect::Bpmn,
        Some(CAMUNDA_NS) => Dialect::Camunda,
        Some(ZEEBE_NS) => Dialect::Zeebe,
        Some(u) if u.contains("cqdt") => Dialect::Cqdt,
        Some(_) => Dialect::Other,
    }
}

/// What the engine does with an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Executed.
    Executable,
    /// Accepted and ignored: no execution meaning.
    Ignored,
    /// Refused, with the reason.
    Refused(&'static str),
}

/// Elements a process may hold, or an activity or event may hold inside it.
pub(crate) fn element(tag: &str) -> Class {
    use Class::*;
    match tag {
        "startEvent"
        | "endEvent"
        | "userTask"
        | "task"
        | "manualTask"
        | "serviceTask"
        | "receiveTask"
        | "intermediateCatchEvent"
        | "intermediateThrowEvent"
        | "exclusiveGateway"
        | "parallelGateway"
        | "inclusiveGateway"
        | "eventBasedGateway"
        | "subProcess"
        | "callActivity"
        | "boundaryEvent"
        | "sequenceFlow" => Executable,
        // Notes, grouping, data drawn for the reader, lanes (read for roles), references.
        "documentation"
        | "extensionElements"
        | "incoming"
        | "outgoing"
        | "laneSet"
        | "textAnnotation"
        | "association"
        | "group"
        | "dataObject"
        | "dataObjectReference"
        | "dataStoreReference"
        | "dataInputAssociation"
        | "dataOutputAssociation"
        | "property"
        | "conditionExpression"
        | "flowNodeRef"
        | "lane"
        | "childLaneSet" => Ignored,
        // Read on a user task (`parse::multi`); anywhere else running once would be wrong.
        "multiInstanceLoopCharacteristics" => Refused(
            "nhiều phiên (multi-instance) chỉ được hỗ trợ trên công việc của người dùng (userTask)",
        ),
        // Read on a user task (`parse::multi`); anywhere else running once would be wrong.
        "standardLoopCharacteristics" => Refused(
            "vòng lặp chuẩn (standard loop) chỉ được hỗ trợ trên công việc của người dùng (userTask); chạy một lần sẽ sai nghĩa",
        ),
        "complexGateway" => Refused("cổng phức hợp (complexGateway) không được hỗ trợ"),
        "adHocSubProcess" => Refused("quy trình con tự do (adHocSubProcess) chưa được hỗ trợ"),
        "transaction" => Refused("giao dịch (transaction) chưa được hỗ trợ"),
        "scriptTask" => Refused("nền tảng không chạy mã kịch bản (script) viết trong sơ đồ"),
        "businessRuleTask" => Refused("bảng quyết định (businessRuleTask, DMN) chưa được hỗ trợ"),
        "sendTask" => Refused("gửi thông điệp (sendTask) chưa được hỗ trợ"),
        "ioSpecification" => Refused("đặc tả dữ liệu vào/ra (ioSpecification) chưa được hỗ trợ"),
        "potentialOwner" | "humanPerformer" | "performer" | "resourceRole" => Refused(
            "giao việc bằng biểu thức tài nguyên BPMN chưa được hỗ trợ; dùng candidateGroups",
        ),
        _ => Refused("loại phần tử này chưa được hỗ trợ"),
    }
}

/// Extension elements inside `extensionElements`, by dialect and local name.
pub(crate) fn extension(d: Dialect, tag: &str) -> Class {
    use Class::*;
    match (d, tag) {
        // Forms, properties and retry settings do not change where a token goes.
        (Dialect::Camunda, "properties" | "formData" | "failedJobRetryTimeCycle") => Ignored,
        (
            Dialect::Zeebe,
            "properties" | "formDefinition" | "userTask" | "versionTag" | "priorityDefinition"
            | "taskHeaders",
        ) => Ignored,
        // Read where they belong (user and service tasks); refused elsewhere by the parser.
        (Dialect::Zeebe, "assignmentDefinition" | "taskDefinition" | "calledElement")
        | (Dialect::Camunda, "in" | "out") => Executable,
        (Dialect::Camunda, "inputOutput") | (Dialect::Zeebe, "ioMapping") => {
            Refused("ánh xạ biến vào/ra (camunda:inputOutput, zeebe:ioMapping) chưa được hỗ trợ")
        }
        (Dialect::Camunda, "executionListener" | "taskListener")
        | (Dialect::Zeebe, "executionListeners" | "taskListeners") => {
            Refused("mã nghe sự kiện (listener) không chạy được trên nền tảng")
        }
        (Dialect::Zeebe, "taskSchedule") => {
            Refused("hạn công việc theo zeebe:taskSchedule chưa được hỗ trợ; dùng cqdt:dueDays")
        }
        _ => Refused("phần mở rộng này không được hiểu"),
    }
}

/// What an attribute of an executed element means, by dialect and local name.
pub(crate) fn attribute(d: Dialect, name: &str) -> Class {
    use Class::*;
    match (d, name) {
        // Read by the parser where they belong, and checked there.
        (
            Dialect::Bpmn,
            "id" | "name" | "sourceRef" | "targetRef" | "default" | "attachedToRef"
            | "cancelActivity" | "startQuantity" | "completionQuantity" | "isForCompensation"
            | "messageRef" | "eventGatewayType" | "triggeredByEvent" | "calledElement",
        )
        | (Dialect::Bpmn | Dialect::Cqdt, "candidateGroups" | "dueDays" | "agency" | "type")
        | (Dialect::Cqdt, "calendar")
        | (
            Dialect::Camunda,
            "candidateGroups" | "assignee" | "type" | "topic" | "calledElementBinding",
        ) => Executable,
        (
            Dialect::Bpmn,
            "isInterrupting" | "gatewayDirection" | "implementation" | "isImmediate"
            | "parallelMultiple" | "instantiate",
        ) => Ignored,
        // Engine tuning and forms: no meaning for where a token goes.
        (
            Dialect::Camunda,
            "asyncBefore" | "asyncAfter" | "exclusive" | "jobPriority" | "taskPriority"
            | "priority" | "formKey" | "formRef" | "formRefBinding" | "formRefVersion" | "async"
            | "formHandlerClass",
        ) => Ignored,
        (Dialect::Zeebe, "modelerTemplate" | "modelerTemplateVersion" | "modelerTemplateIcon") => {
            Ignored
        }
        (Dialect::Camunda, "class" | "expression" | "delegateExpression" | "resultVariable") => {
            Refused("mã Java/biểu thức của Camunda 7 không chạy được trên nền tảng")
        }
        (Dialect::Camunda, "candidateUsers") => {
            Refused("giao việc cho danh sách người (candidateUsers) chưa được hỗ trợ")
        }
        (Dialect::Camunda, "dueDate" | "followUpDate") => {
            Refused("hạn theo biểu thức Camunda chưa được hỗ trợ; dùng cqdt:dueDays")
        }
        (
            Dialect::Camunda,
            "calledElementVersion" | "calledElementVersionTag" | "calledElementTenantId",
        ) => Refused(
            "gọi một phiên bản định sẵn chưa được hỗ trợ: bước gọi luôn chạy phiên bản mới nhất",
        ),
        (Dialect::Camunda, "variableMappingClass" | "variableMappingDelegateExpression") => {
            Refused("ánh xạ biến bằng mã Java của Camunda 7 không chạy được trên nền tảng")
        }
        (Dialect::Camunda, "initiator") => {
            Refused("camunda:initiator (gán người khởi tạo vào biến) chưa được hỗ trợ")
        }
        _ => Refused("thuộc tính này không được hiểu"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_refuses_what_it_does_not_know() {
        assert_eq!(element("userTask"), Class::Executable);
        assert_eq!(element("group"), Class::Ignored);
        assert!(matches!(element("multiInstanceLoopCharacteristics"), Class::Refused(_)));
        assert!(matches!(element("somethingNew"), Class::Refused(_)));
        assert_eq!(dialect(Some("https://cqdt.example/bpmn")), Dialect::Cqdt);
        assert!(matches!(attribute(Dialect::Other, "result"), Class::Refused(_)));
        assert!(matches!(extension(Dialect::Camunda, "inputOutput"), Class::Refused(_)));
    }
}
