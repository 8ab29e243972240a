//! The main menu and the administration sections (issue 15, item 8). The binary knows every
//! module's routes and who each one admits, so it is the one to say which link each person
//! sees; every link here must answer 200 to everyone in its audience (tested).

use cqdt_platform::web::{Audience, MenuLink};
use cqdt_platform::Role;

/// Who works on dossiers at the one-stop office (the work list admits these).
const ONE_STOP: &[Role] =
    &[Role::ReceptionOfficer, Role::ProcessingOfficer, Role::Leader, Role::Clerk];
/// Who reads the ledger and the back-office statistics.
const OFFICE: &[Role] =
    &[Role::ReceptionOfficer, Role::ProcessingOfficer, Role::Leader, Role::Clerk, Role::Auditor];
const APPLICANTS: &[Role] = &[Role::Citizen, Role::Business];
const ADMINS: &[Role] = &[Role::PlatformAdmin];
const ACCOUNT_ADMINS: &[Role] = &[Role::PlatformAdmin, Role::AgencyAdmin];

const fn link(href: &'static str, label: &'static str, audience: Audience) -> MenuLink {
    MenuLink { href, label, summary: "", audience }
}

const fn section(href: &'static str, label: &'static str, summary: &'static str) -> MenuLink {
    MenuLink { href, label, summary, audience: Audience::Roles(ADMINS) }
}

/// The main menu, in the order shown.
pub const MENU: &[MenuLink] = &[
    link("/", "Trang chủ", Audience::Everyone),
    link("/dich-vu-cong", "Dịch vụ công", Audience::Everyone),
    link("/tra-cuu-ho-so", "Tra cứu hồ sơ", Audience::Everyone),
    link("/ho-so-cua-toi", "Hồ sơ của tôi", Audience::Roles(APPLICANTS)),
    link("/mot-cua", "Hồ sơ một cửa", Audience::Roles(ONE_STOP)),
    link("/mot-cua/so-theo-doi", "Sổ theo dõi", Audience::Roles(OFFICE)),
    link("/mot-cua/thong-ke", "Thống kê", Audience::Roles(OFFICE)),
    link("/admin/accounts", "Quản lý cán bộ", Audience::Roles(&[Role::AgencyAdmin])),
    link("/admin", "Quản trị", Audience::Roles(ADMINS)),
];

/// The administration landing page's sections (platform administrators).
pub const ADMIN_SECTIONS: &[MenuLink] = &[
    MenuLink {
        href: "/admin/accounts",
        label: "Tài khoản",
        summary: "Tài khoản công dân, doanh nghiệp và cán bộ; vai trò, khóa và mở khóa, xác thực hai lớp.",
        audience: Audience::Roles(ACCOUNT_ADMINS),
    },
    section("/admin/procedures", "Thủ tục hành chính", "Soạn, công bố, ngừng áp dụng thủ tục; nhập và xuất danh sách."),
    section("/admin/catalogs", "Danh mục dùng chung", "Đơn vị hành chính, cơ quan, dân tộc, quốc tịch và các danh mục khác."),
    section("/admin/calendar", "Lịch làm việc", "Ngày nghỉ lễ, nghỉ bù và ngày làm bù trong năm."),
    section("/admin/workflow", "Quy trình nghiệp vụ", "Các quy trình BPMN đang chạy và phiên bản của chúng."),
    MenuLink {
        href: "/admin/lgsp",
        label: "Trục tích hợp LGSP",
        summary: "Thành viên, dịch vụ kết nối giữa các cơ quan, duyệt quyền khai thác, lưu lượng qua cổng.",
        audience: Audience::Roles(ACCOUNT_ADMINS),
    },
    section("/admin/clients", "Ứng dụng kết nối", "Các hệ thống đăng nhập một lần và gọi API của nền tảng."),
    section("/admin/sign-ins", "Nhật ký đăng nhập", "Các lần đăng nhập thành công và thất bại."),
    section("/admin/notifications", "Thông báo", "Thư điện tử, tin nhắn đã gửi và mẫu thông báo."),
    section("/admin/jobs", "Hàng đợi công việc", "Công việc chạy nền, thử lại và công việc thất bại."),
    section("/admin/audit", "Nhật ký kiểm toán", "Ai đã xem hoặc thay đổi dữ liệu nào, khi nào; kiểm chứng chuỗi băm."),
];
