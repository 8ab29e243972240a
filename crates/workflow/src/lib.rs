//! Workflow engine (M7): BPMN 2.0 processes drawn in standard modelers, versioned, executed
//! durably with user tasks for roles within agencies, exclusive and parallel gateways,
//! working-day timers, history and diagrams.

pub mod condition;
pub mod http;
pub mod model;
pub mod service;
pub mod store;
pub mod svg;

pub use model::{parse_bpmn, BpmnError, NodeKind, Process};
pub use service::{
    CalledInstance, Correlated, Failure, Handler, InstanceDetail, LockedJob, Message, Recipient,
    Start, Step, ThrownError, TopicRequest, WorkflowError, WorkflowService,
};
pub use store::{DefinitionRow, InstanceRow, JobRow, TaskRow};
