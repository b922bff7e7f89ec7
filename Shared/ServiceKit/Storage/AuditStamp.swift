import Foundation
import GovernanceAPI
import SwiftProtobuf

extension Governance_Common_V1_AuditStamp {
  /// The stamp of a record created at `time` by `principal` and not changed since.
  public static func created(at time: Date, by principal: Principal) -> Self {
    .with {
      $0.createTime = Google_Protobuf_Timestamp(date: time)
      $0.createdBy = principal.description
      $0.updateTime = Google_Protobuf_Timestamp(date: time)
      $0.updatedBy = principal.description
    }
  }

  /// The stamp rebuilt from a stored row's columns.
  public init(createdAt: Date, createdBy: String, updatedAt: Date, updatedBy: String) {
    self.init()
    createTime = Google_Protobuf_Timestamp(date: createdAt)
    self.createdBy = createdBy
    updateTime = Google_Protobuf_Timestamp(date: updatedAt)
    self.updatedBy = updatedBy
  }
}
